/** The connectors (DESIGN.md "connectors"): each implements the core's Connector port or is a demo provider. */
export { createHttpJsonConnector, DEFAULT_MAX_RESPONSE_BYTES } from './http-json/index.js';
export type { HttpJsonConnector, HttpJsonConnectorOptions } from './http-json/index.js';
export {
  certificateKid,
  createDemoMeldebehoerde,
  createGatewayTrust,
  DEMO_CITIZENS,
  EVIDENCE_PATH,
  isMeldebescheinigungField,
  loadDemoMeldebehoerdeKeys,
  MELDEBESCHEINIGUNG,
  MELDEBESCHEINIGUNG_FIELDS,
  openMeldeRegister,
  signEvidence,
  startDemoMeldebehoerde,
} from './demo-meldebehoerde/index.js';
export type {
  DemoMeldebehoerde,
  DemoMeldebehoerdeKeys,
  DemoMeldebehoerdeOptions,
  EvidenceContent,
  EvidenceSigner,
  MeldeRecord,
  MeldeRegister,
  RunningDemoMeldebehoerde,
  StartDemoMeldebehoerdeOptions,
} from './demo-meldebehoerde/index.js';
