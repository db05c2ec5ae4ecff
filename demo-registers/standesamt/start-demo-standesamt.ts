/** Runs the demo Standesamt on its own HTTP listener (for the gateway's demo mode, main.ts and tests). */
import { serveDemoProvider } from '../server/serve-demo-provider.js';
import type { ListenOptions, RunningDemoProvider } from '../server/serve-demo-provider.js';
import {
  createDemoStandesamt,
  STANDESAMT_EVIDENCE_PATH,
  type DemoStandesamtOptions,
} from './create-demo-standesamt.js';
import type { Geburtenregister } from './open-geburtenregister.js';

export interface StartDemoStandesamtOptions extends DemoStandesamtOptions, ListenOptions {}

export type RunningDemoStandesamt = RunningDemoProvider<Geburtenregister>;

/** Starts the demo Standesamt on `host:port`; rejects with the listen error (EADDRINUSE, …). */
export function startDemoStandesamt(options: StartDemoStandesamtOptions): Promise<RunningDemoStandesamt> {
  return serveDemoProvider(createDemoStandesamt(options), STANDESAMT_EVIDENCE_PATH, options);
}
