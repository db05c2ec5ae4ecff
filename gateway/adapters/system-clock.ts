import type { Clock } from '../core/ports.js';

/** The Clock port on the system clock. */
export const systemClock: Clock = { nowMs: () => Date.now() };
