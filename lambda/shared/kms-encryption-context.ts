// The KMS encryption context of the sealing data keys, shared by both KMS adapters and the key policy.

/** The KMS encryption context bound to every data key; CloudTrail shows it on each call. */
export function kmsEncryptionContext(environment: string): Record<string, string> {
  return { app: 'signalgate', purpose: 'seal', environment };
}
