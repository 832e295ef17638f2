// An in-memory secret with Secrets Manager's version and staging-label rules, for tests and the local
// stack. It is both the rotation function's store and a SecretSource, so one object shows what a
// rotation does to the readers (the webhook, the admin API) at every step.

import { randomUUID } from 'node:crypto';
import type { Clock, SecretSource, SecretVersions } from '../ports.js';
import { systemClock } from '../ports.js';
import {
  type RotationSecretStore,
  type SecretDescription,
  Stage,
  type VersionSelector,
} from './rotation-store.js';

interface Version {
  value: string | undefined;
  readonly stages: Set<string>;
  createdAt: number;
}

interface Secret {
  rotationEnabled: boolean;
  readonly versions: Map<string, Version>;
}

/** RotateSecret's InvalidRequestException while an earlier rotation's AWSPENDING is not on AWSCURRENT. */
export class RotationInProgressError extends Error {
  constructor() {
    super("A previous rotation isn't complete: AWSPENDING is on a version that is not AWSCURRENT");
    this.name = 'RotationInProgressError';
  }
}

export type StoreOperation = 'describe' | 'getValue' | 'putPending' | 'promote' | 'clearPending';

export class MemoryRotationStore implements RotationSecretStore, SecretSource {
  readonly #secrets = new Map<string, Secret>();
  readonly #clock: Clock;
  readonly #failures = new Map<StoreOperation, Error>();

  constructor(clock: Clock = systemClock) {
    this.#clock = clock;
  }

  /** Creates a secret whose first version is AWSCURRENT, with rotation enabled. */
  create(secretId: string, value: string): string {
    const versionId = randomUUID();
    this.#secrets.set(secretId, {
      rotationEnabled: true,
      versions: new Map([
        [versionId, { value, stages: new Set([Stage.current]), createdAt: this.#clock.now() }],
      ]),
    });
    return versionId;
  }

  setRotationEnabled(secretId: string, enabled: boolean): void {
    this.#secret(secretId).rotationEnabled = enabled;
  }

  /**
   * What RotateSecret does before invoking the function: a new, empty version staged AWSPENDING. Like
   * RotateSecret it refuses while AWSPENDING sits on a version that is not AWSCURRENT: AWS reads that as
   * a previous rotation still in progress (RotateSecret API reference).
   */
  startRotation(secretId: string): string {
    const secret = this.#secret(secretId);
    const inProgress = [...secret.versions.values()].some(
      (version) => version.stages.has(Stage.pending) && !version.stages.has(Stage.current),
    );
    if (inProgress) throw new RotationInProgressError();
    const versionId = randomUUID();
    this.#moveLabel(secret, Stage.pending, versionId, {
      value: undefined,
      createdAt: this.#clock.now(),
    });
    return versionId;
  }

  /** The next call of `operation` throws `error` (a crash or an outage at that exact point). */
  failNext(operation: StoreOperation, error = new Error(`injected ${operation} failure`)): void {
    this.#failures.set(operation, error);
  }

  /** Secrets Manager dropping the AWSPREVIOUS label (e.g. the next rotation, or an operator). */
  forgetPrevious(secretId: string): void {
    for (const version of this.#secret(secretId).versions.values()) version.stages.delete(Stage.previous);
  }

  async describe(secretId: string): Promise<SecretDescription> {
    this.#maybeFail('describe');
    const secret = this.#secret(secretId);
    const versions: Record<string, string[]> = {};
    for (const [id, version] of secret.versions)
      if (version.stages.size > 0) versions[id] = [...version.stages];
    return { rotationEnabled: secret.rotationEnabled, versions };
  }

  async getValue(secretId: string, selector: VersionSelector): Promise<string | undefined> {
    this.#maybeFail('getValue');
    return this.#find(this.#secret(secretId), selector)?.value;
  }

  async putPending(secretId: string, versionId: string, value: string): Promise<void> {
    this.#maybeFail('putPending');
    const secret = this.#secret(secretId);
    const existing = secret.versions.get(versionId);
    // Secrets Manager refuses to change a version's value (ResourceExistsException); same value is a no-op.
    if (existing?.value !== undefined && existing.value !== value)
      throw new Error('version already has another value');
    this.#moveLabel(secret, Stage.pending, versionId, { value, createdAt: this.#clock.now() });
  }

  async promote(secretId: string, toVersionId: string, fromVersionId: string): Promise<void> {
    this.#maybeFail('promote');
    const secret = this.#secret(secretId);
    const from = secret.versions.get(fromVersionId);
    const to = secret.versions.get(toVersionId);
    if (!from?.stages.has(Stage.current))
      throw new Error('RemoveFromVersionId is not the AWSCURRENT version');
    if (!to) throw new Error('MoveToVersionId does not exist');
    for (const version of secret.versions.values()) version.stages.delete(Stage.previous);
    from.stages.delete(Stage.current);
    from.stages.add(Stage.previous);
    to.stages.add(Stage.current);
  }

  async createdAt(secretId: string, versionId: string): Promise<number | undefined> {
    const version = this.#secret(secretId).versions.get(versionId);
    return version?.value === undefined ? undefined : version.createdAt;
  }

  async clearPending(secretId: string, versionId: string): Promise<void> {
    this.#maybeFail('clearPending');
    this.#secret(secretId).versions.get(versionId)?.stages.delete(Stage.pending);
  }

  /** What the version's stages are now (tests). */
  stagesOf(secretId: string, versionId: string): readonly string[] {
    return [...(this.#secret(secretId).versions.get(versionId)?.stages ?? [])];
  }

  async getVersions(secretId: string): Promise<SecretVersions> {
    const secret = this.#secret(secretId);
    const current = this.#find(secret, { stage: Stage.current });
    const previous = this.#find(secret, { stage: Stage.previous });
    if (current?.value === undefined) throw new Error('secret has no current value');
    return {
      current: current.value,
      ...(previous?.value !== undefined ? { previous: previous.value } : {}),
      currentCreatedAt: current.createdAt,
      ...(current.stages.has(Stage.pending) ? { rotationUnfinished: true as const } : {}),
    };
  }

  #secret(secretId: string): Secret {
    const secret = this.#secrets.get(secretId);
    if (!secret) throw new Error(`secret not found: ${secretId}`);
    return secret;
  }

  #find(secret: Secret, selector: VersionSelector): Version | undefined {
    if ('versionId' in selector) {
      const version = secret.versions.get(selector.versionId);
      return version && (selector.stage === undefined || version.stages.has(selector.stage))
        ? version
        : undefined;
    }
    for (const version of secret.versions.values()) if (version.stages.has(selector.stage)) return version;
    return undefined;
  }

  #moveLabel(
    secret: Secret,
    stage: string,
    versionId: string,
    init: { value: string | undefined; createdAt: number },
  ): void {
    for (const version of secret.versions.values()) version.stages.delete(stage);
    const version = secret.versions.get(versionId);
    if (version) {
      // As Secrets Manager's CreatedDate: when the value was stored (RotateSecret's empty version has none).
      if (version.value === undefined && init.value !== undefined) {
        version.value = init.value;
        version.createdAt = init.createdAt;
      }
      version.stages.add(stage);
    } else {
      secret.versions.set(versionId, {
        value: init.value,
        stages: new Set([stage]),
        createdAt: init.createdAt,
      });
    }
  }

  #maybeFail(operation: StoreOperation): void {
    const error = this.#failures.get(operation);
    if (error) {
      this.#failures.delete(operation);
      throw error;
    }
  }
}
