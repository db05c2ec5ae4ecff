/** Requests signed ahead of time, so the load generator spends its CPU on HTTP only. */
import { randomUUID } from 'node:crypto';
import { signCompactJws } from '../../gateway/core/envelope/index.js';
import type { Signer } from '../../gateway/core/ports.js';
import { ERIKA, GATEWAY_ID, WOHNGELD } from './demo.js';

/** PROTOCOL.md §1a evidence requests of the Wohngeldstelle for Erika, each with its own jti. */
export async function signJsonRequests(signer: Signer, count: number): Promise<string[]> {
  const now = Math.floor(Date.now() / 1000);
  const bodies: string[] = [];
  for (let i = 0; i < count; i++) {
    bodies.push(
      await signCompactJws(signer, 'evidence-request+jwt', {
        iss: WOHNGELD,
        aud: GATEWAY_ID,
        iat: now,
        exp: now + 300,
        jti: randomUUID(),
        evidenceType: 'meldebescheinigung',
        subject: { idnr: ERIKA },
        purpose: 'wohngeld-antrag',
        procedure: { reference: `WG-BENCH-${i}`, service: '99107005000000' },
        actor: 'sachbearbeitung-bench',
      }),
    );
  }
  return bodies;
}
