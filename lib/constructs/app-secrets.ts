// The application's own secrets: one Twilio auth token per account, the admin token and the blind-index key.
import { Duration, type RemovalPolicy, Tags } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
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

export interface AppSecretsProps {
  /** Secret names are `${namePrefix}/…`, e.g. `signalgate/dev`. */
  readonly namePrefix: string;
  readonly twilioAccountSids: readonly string[];
  readonly encryptionKey: kms.IKey;
  readonly removalPolicy: RemovalPolicy;
  /** Admin-token rotation (createSecret/setSecret/testSecret/finishSecret Lambda). */
  readonly adminTokenRotation: SecretRotationOptions;
  /**
   * Twilio auth-token rotation via Twilio's secondary token; one schedule per account's secret, created only
   * when `enabled` (a schedule rotates at creation: never before the real token is stored).
   */
  readonly twilioTokenRotation: SecretRotationOptions & { readonly enabled: boolean };
}

export class AppSecrets extends Construct {
  /** Account SID → secret holding `{"accountSid":"AC…","authToken":"…"}`. */
  readonly twilioAuthTokens: ReadonlyMap<string, secretsmanager.Secret>;
  /** `{"token":"<64 alphanumerics>"}` */
  readonly adminToken: secretsmanager.Secret;
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

    this.adminToken = new secretsmanager.Secret(this, 'AdminToken', {
      secretName: `${props.namePrefix}/${SecretNameSuffix.adminToken}`,
      description: 'X-Admin-Token accepted by the /admin routes',
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
    pinLogicalId(this.adminToken, 'AdminTokenSecret');
    this.rotate(this.adminToken, props.adminTokenRotation);

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
