// Types for the ES-module build of @smithy/signature-v4 (sigv4-signer.ts): the same as its main entry.

declare module '@smithy/signature-v4/dist-es/index.js' {
  export { SignatureV4 } from '@smithy/signature-v4';
}
