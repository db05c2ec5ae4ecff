/** The trust part of the core (DESIGN.md "trust"): participants, certificates, chains, revocation, kid lookup. */
import './install-reflect-metadata.js';

export { createTrustStore, isCallbackUrl } from './create-trust-store.js';
export { kidOf, participantIdOf } from './read-certificate.js';
export { readPemBlocks } from './read-pem.js';
export type { ParticipantMaterial, TrustMaterial } from './trust-material.js';
