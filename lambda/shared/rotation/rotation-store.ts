// The part of Secrets Manager a rotation function needs (ARCHITECTURE §5), as a narrow port so the
// four steps are tested against an in-memory store with the same staging-label semantics.

export const Stage = {
  current: 'AWSCURRENT',
  pending: 'AWSPENDING',
  previous: 'AWSPREVIOUS',
} as const;

export interface SecretDescription {
  readonly rotationEnabled: boolean;
  /** Version id → its staging labels (Secrets Manager's VersionIdsToStages). */
  readonly versions: Readonly<Record<string, readonly string[]>>;
}

export type VersionSelector =
  | { readonly versionId: string; readonly stage?: string }
  | { readonly stage: string };

export interface RotationSecretStore {
  describe(secretId: string): Promise<SecretDescription>;
  /** The version's string value, or undefined when no version matches (never throws for "not found"). */
  getValue(secretId: string, selector: VersionSelector): Promise<string | undefined>;
  /** Stores `value` as version `versionId` labelled AWSPENDING; storing the same value again is a no-op. */
  putPending(secretId: string, versionId: string, value: string): Promise<void>;
  /**
   * Moves AWSCURRENT to `toVersionId`; Secrets Manager then labels the old current AWSPREVIOUS by itself.
   */
  promote(secretId: string, toVersionId: string, fromVersionId: string): Promise<void>;
  /** When the version's value was stored (GetSecretValue's CreatedDate, epoch ms); undefined without a value. */
  createdAt(secretId: string, versionId: string): Promise<number | undefined>;
  /** Removes AWSPENDING from the version (no-op when it is not there). */
  clearPending(secretId: string, versionId: string): Promise<void>;
}

/** The version currently labelled `stage`, if any. */
export function versionWithStage(description: SecretDescription, stage: string): string | undefined {
  for (const [versionId, stages] of Object.entries(description.versions)) {
    if (stages.includes(stage)) return versionId;
  }
  return undefined;
}
