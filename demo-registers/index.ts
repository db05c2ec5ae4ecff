/**
 * The demo registers: providers (not connectors) the gateway starts in demo mode and the tests talk to — the
 * demo Meldebehörde (HTTP/JSON) and the demo Standesamt (XÖV), both served by server/. Production code reaches
 * providers only through connectors/; only the composition root (gateway/main.ts) starts these.
 */
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
} from './meldebehoerde/index.js';
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
} from './meldebehoerde/index.js';
export { startDemoStandesamt } from './standesamt/index.js';
export type { RunningDemoStandesamt, StartDemoStandesamtOptions } from './standesamt/index.js';
