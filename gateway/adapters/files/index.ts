/** File-backed adapters: trust material and signing keys (layout: certs-example/README.md). */
export { loadSigner, loadSignerFromFiles, loadTrustMaterial, signerFiles } from './load-trust-material.js';
export type { SignerVariant } from './load-trust-material.js';
export { loadCallbackSecrets } from './load-callback-secrets.js';
export type { CallbackSecrets } from './load-callback-secrets.js';
export { loadSecretKey } from './load-secret-key.js';
export { createFileCheckpointAnchor, readAnchorFile } from './file-checkpoint-anchor.js';
export type { FileCheckpointAnchorOptions } from './file-checkpoint-anchor.js';
