/** Runs the demo Meldebehörde on its own HTTP listener (for the gateway's demo mode, main.ts and tests). */
import { serveDemoProvider } from '../server/serve-demo-provider.js';
import type { ListenOptions, RunningDemoProvider } from '../server/serve-demo-provider.js';
import {
  createDemoMeldebehoerde,
  EVIDENCE_PATH,
  type DemoMeldebehoerdeOptions,
} from './create-demo-meldebehoerde.js';
import type { MeldeRegister } from './open-melde-register.js';

export interface StartDemoMeldebehoerdeOptions extends DemoMeldebehoerdeOptions, ListenOptions {}

export type RunningDemoMeldebehoerde = RunningDemoProvider<MeldeRegister>;

/** Starts the demo Meldebehörde on `host:port`; rejects with the listen error (EADDRINUSE, …). */
export function startDemoMeldebehoerde(
  options: StartDemoMeldebehoerdeOptions,
): Promise<RunningDemoMeldebehoerde> {
  return serveDemoProvider(createDemoMeldebehoerde(options), EVIDENCE_PATH, options);
}
