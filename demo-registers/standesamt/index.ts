/** The demo Standesamt Musterstadt (psw:09999001): an XÖV provider backend with its own birth register. */
export {
  DEMO_BIRTH_RECORDS,
  GEBURTSURKUNDE,
  GEBURTSURKUNDE_FIELDS,
  isGeburtsurkundeField,
} from './birth-records.js';
export type { BirthRecord, GeburtsurkundeField, Personenname } from './birth-records.js';
export { openGeburtenregister } from './open-geburtenregister.js';
export type { Geburtenregister } from './open-geburtenregister.js';
export { createDemoStandesamt, STANDESAMT_EVIDENCE_PATH, STANDESAMT_ID } from './create-demo-standesamt.js';
export type { DemoStandesamt, DemoStandesamtOptions } from './create-demo-standesamt.js';
export { startDemoStandesamt } from './start-demo-standesamt.js';
export type { RunningDemoStandesamt, StartDemoStandesamtOptions } from './start-demo-standesamt.js';
export { loadDemoStandesamtKeys } from './load-demo-standesamt-keys.js';
export type { DemoStandesamtKeys } from './load-demo-standesamt-keys.js';
