/**
 * The gateway's own 32-byte secrets (subject references, preview sealing, consent-request tokens): read from a
 * file, created (mode 0600) with fresh random bytes on the first start.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Reads a base64 secret of at least 32 bytes, creating it on first start. Throws with the file named. */
export function loadSecretKey(file: string): Buffer {
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
  }
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length < 32) throw new Error(`${file}: the key must be at least 32 bytes (base64)`);
  chmodSync(file, 0o600);
  return key;
}
