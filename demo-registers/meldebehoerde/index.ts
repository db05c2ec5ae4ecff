export { createDemoMeldebehoerde, DEFAULT_GATEWAY_ID, EVIDENCE_PATH } from './create-demo-meldebehoerde.js';
export type { DemoMeldebehoerde, DemoMeldebehoerdeOptions } from './create-demo-meldebehoerde.js';
export { startDemoMeldebehoerde } from './start-demo-meldebehoerde.js';
export type { RunningDemoMeldebehoerde, StartDemoMeldebehoerdeOptions } from './start-demo-meldebehoerde.js';
export { openMeldeRegister } from './open-melde-register.js';
export type { MeldeRegister } from './open-melde-register.js';
export {
  DEMO_CITIZENS,
  isMeldebescheinigungField,
  MELDEBESCHEINIGUNG,
  MELDEBESCHEINIGUNG_FIELDS,
} from './demo-citizens.js';
export type { Anschrift, MeldebescheinigungField, MeldeRecord } from './demo-citizens.js';
export { signEvidence } from './sign-evidence.js';
export type { EvidenceContent, EvidenceSigner } from './sign-evidence.js';
export { certificateKid, createGatewayTrust } from './create-gateway-trust.js';
export type { GatewayTrustOptions } from './create-gateway-trust.js';
export { loadDemoMeldebehoerdeKeys } from './load-demo-keys.js';
export type { DemoMeldebehoerdeKeys } from './load-demo-keys.js';
