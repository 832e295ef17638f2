// The application's own secrets: one Twilio auth token per account, one admin credential per holder and the
// blind-index key.
import { Duration, Lazy, type RemovalPolicy, Tags } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { AdminRole } from '../../lambda/shared/names.js';
import { SecretNameSuffix } from '../../lambda/shared/names.js';
import { acknowledge, pinLogicalId } from './per-resource.js';

/**
 * How a Twilio secret's first authToken is generated: 40 characters with upper case, so it can never be a
 * Twilio auth token (32 lowercase hex) and never verifies a signature until the operator stores the real one
 * (docs/DEPLOY.md). CloudFormation generates it once, at creation; it rewrites the value only if this
 * generator changes, so it is fixed here and pinned by test/infra (changing it would overwrite real tokens).
 */
export const TWILIO_SECRET_GENERATOR = {
  generateStringKey: 'authToken',
  passwordLength: 40,
  excludePunctuation: true,
  includeSpace: false,
  requireEachIncludedType: true,
} as const;

/** Tag on secrets whose value the operator sets outside CloudFormation. */
export const VALUE_SET_BY_TAG = { key: 'signalgate:value-set-by', value: 'operator' } as const;

/** A rotation Lambda and its schedule. */
export interface SecretRotationOptions {
  readonly handler: lambda.IFunction;
  readonly days: number;
}

/** One admin holder (config admin.holders, plus the canary's own `reader`). */
export interface AdminHolder {
  readonly id: string;
  /** The holder's one role: passed to the admin function by configuration, never stored in the secret. */
  readonly role: AdminRole;
  /**
   * The IAM role or user ARN of the holder, the one person (or tool) allowed to read the token besides the
   * functions granted it. @default none: only the granted functions and the rotation function can read it
   */
  readonly principalArn?: string;
}

/** One holder's secret, `{"token":"<64 alphanumerics>"}`, with the holder's configured role. */
export interface AdminCredential {
  readonly holder: AdminHolder;
  readonly secret: secretsmanager.Secret;
}

/**
 * The pinned logical ID of a holder's secret: `AdminCredential` + the id with `-`, `.`, `_` spelled `H`, `D`,
 * `U` (ids are lower case, so two ids never share a logical ID).
 */
export function adminCredentialLogicalId(holderId: string): string {
  const spelled: Record<string, string> = { '-': 'H', '.': 'D', _: 'U' };
  return `AdminCredential${holderId.replace(/[-._]/g, (c) => spelled[c] as string)}`;
}

export interface AppSecretsProps {
  /** Secret names are `${namePrefix}/…`, e.g. `signalgate/dev`. */
  readonly namePrefix: string;
  readonly twilioAccountSids: readonly string[];
  readonly encryptionKey: kms.IKey;
  readonly removalPolicy: RemovalPolicy;
  /** The admin holders: one secret each, `${namePrefix}/admin-credential/<id>`. */
  readonly adminHolders: readonly AdminHolder[];
  /** Rotation of every holder's secret (createSecret/setSecret/testSecret/finishSecret Lambda). */
  readonly adminTokenRotation: SecretRotationOptions & { readonly handlerRole: iam.IRole };
  /**
   * Twilio auth-token rotation via Twilio's secondary token; one schedule per account's secret, created only
   * when `enabled` (a schedule rotates at creation: never before the real token is stored).
   */
  readonly twilioTokenRotation: SecretRotationOptions & { readonly enabled: boolean };
}

export class AppSecrets extends Construct {
  /** Account SID → secret holding `{"accountSid":"AC…","authToken":"…"}`. */
  readonly twilioAuthTokens: ReadonlyMap<string, secretsmanager.Secret>;
  /** Holder id → that holder's own secret (ARCHITECTURE §5: nobody who reads one holds the others). */
  readonly adminCredentials: ReadonlyMap<string, AdminCredential>;
  /** `{"key":"<64 alphanumerics>"}` */
  readonly blindIndexKey: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: AppSecretsProps) {
    super(scope, id);
    const tokens = new Map<string, secretsmanager.Secret>();
    for (const sid of props.twilioAccountSids) {
      const secret = new secretsmanager.Secret(this, `TwilioAuthToken${sid}`, {
        secretName: `${props.namePrefix}/${SecretNameSuffix.twilioAuthToken}/${sid}`,
        description: `Twilio auth token of account ${sid}; the operator sets authToken (docs/DEPLOY.md)`,
        encryptionKey: props.encryptionKey,
        removalPolicy: props.removalPolicy,
        // The account SID (not secret) and a generated authToken that can never verify; the operator stores the
        // real token outside CloudFormation, which never writes the value again (see TWILIO_SECRET_GENERATOR).
        generateSecretString: {
          secretStringTemplate: JSON.stringify({ accountSid: sid }),
          ...TWILIO_SECRET_GENERATOR,
        },
      });
      pinLogicalId(secret, `TwilioAuthToken${sid}`);
      Tags.of(secret).add(VALUE_SET_BY_TAG.key, VALUE_SET_BY_TAG.value);
      if (props.twilioTokenRotation.enabled) {
        this.rotate(secret, props.twilioTokenRotation);
      } else {
        acknowledge(
          secret,
          'AwsSolutions-SMG4',
          'Rotation of the Twilio token is enabled by config (twilio.rotationEnabled) only once the real token is stored: a schedule rotates at creation, and rotating the generated first value would fail and page.',
        );
      }
      tokens.set(sid, secret);
    }
    this.twilioAuthTokens = tokens;

    // One secret per holder (the shared AdminTokenSecret is retired: whoever read it held every role; see
    // docs/DEPLOY.md). Each secret's resource policy denies GetSecretValue to every principal but the
    // rotation function, the holder's configured principal and the functions granted it (grantCredentialRead).
    const credentials = new Map<string, AdminCredential>();
    for (const holder of props.adminHolders) {
      const secret = new secretsmanager.Secret(this, `AdminCredential-${holder.id}`, {
        secretName: `${props.namePrefix}/${SecretNameSuffix.adminCredential}/${holder.id}`,
        description: `X-Admin-Token of admin holder ${holder.id} (its role is configuration, not in this secret)`,
        encryptionKey: props.encryptionKey,
        removalPolicy: props.removalPolicy,
        // 64 characters from 62 symbols ≈ 381 bits, above the 256 required (ARCHITECTURE §5).
        generateSecretString: {
          secretStringTemplate: '{}',
          generateStringKey: 'token',
          passwordLength: 64,
          excludePunctuation: true,
          includeSpace: false,
        },
      });
      pinLogicalId(secret, adminCredentialLogicalId(holder.id));
      const readers = [props.adminTokenRotation.handlerRole.roleArn];
      if (holder.principalArn) readers.push(holder.principalArn);
      this.#readers.set(holder.id, readers);
      secret.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'OnlyTheHolderItsFunctionsAndRotationRead',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['secretsmanager:GetSecretValue'],
          resources: ['*'],
          conditions: { ArnNotEquals: { 'aws:PrincipalArn': Lazy.list({ produce: () => readers }) } },
        }),
      );
      // Writing a value is rotation's alone: with PutSecretValue (granted on signalgate/<env>/* for the Twilio
      // token step, docs/DEPLOY.md) anyone could otherwise set another holder's token to one they know, and
      // act as that holder (four-eyes with themselves). Removing AWSPREVIOUS (--revoke-previous) stays open.
      secret.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'OnlyRotationWritesAValue',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['secretsmanager:PutSecretValue'],
          resources: ['*'],
          conditions: { ArnNotEquals: { 'aws:PrincipalArn': props.adminTokenRotation.handlerRole.roleArn } },
        }),
      );
      this.rotate(secret, props.adminTokenRotation);
      credentials.set(holder.id, { holder, secret });
    }
    this.adminCredentials = credentials;

    this.blindIndexKey = new secretsmanager.Secret(this, 'BlindIndexKey', {
      secretName: `${props.namePrefix}/blind-index-key`,
      description: 'HMAC-SHA256 key of the phone-number blind index',
      encryptionKey: props.encryptionKey,
      removalPolicy: props.removalPolicy,
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: 'key',
        passwordLength: 64,
        excludePunctuation: true,
        includeSpace: false,
      },
    });
    pinLogicalId(this.blindIndexKey, 'BlindIndexSecret');
    acknowledge(
      this.blindIndexKey,
      'AwsSolutions-SMG4',
      'By design (ARCHITECTURE §5): the blind-index key is generated once; rotating it means re-indexing every stored message, a documented manual procedure, never an automatic schedule.',
    );
  }

  readonly #readers = new Map<string, string[]>();

  /**
   * Lets `role` read the secrets of `holderIds` (every holder by default): an IAM grant, and its role ARN
   * added to each secret's resource policy, which denies every other principal.
   */
  grantCredentialRead(
    role: iam.IRole,
    holderIds: readonly string[] = [...this.adminCredentials.keys()],
  ): void {
    for (const id of holderIds) {
      const credential = this.adminCredentials.get(id);
      const readers = this.#readers.get(id);
      if (!credential || !readers) throw new Error(`grantCredentialRead: no admin holder ${id}`);
      credential.secret.grantRead(role);
      readers.push(role.roleArn);
    }
  }

  /** Every Twilio auth-token secret ARN by account SID, as the webhook's TWILIO_TOKEN_SECRET_ARNS JSON. */
  twilioSecretArnsJson(): Record<string, string> {
    return Object.fromEntries([...this.twilioAuthTokens].map(([sid, secret]) => [sid, secret.secretArn]));
  }

  private rotate(secret: secretsmanager.Secret, rotation: SecretRotationOptions): void {
    secret.addRotationSchedule('Rotation', {
      rotationLambda: rotation.handler,
      automaticallyAfter: Duration.days(rotation.days),
    });
  }
}
