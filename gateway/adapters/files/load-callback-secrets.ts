/**
 * Reads the consumers' callback secrets (docs/callbacks.md "Registration"). They are kept apart from the public
 * participants.json, in a JSON file `{ "secrets": { "<participant id>": "<secret>" } }` that only the gateway's
 * user may read (mode 0600). Each secret is the HMAC-SHA-512 key shared with that consumer, at least 32
 * characters; it is never logged.
 */
import { readFileSync, statSync } from 'node:fs';
import { isParticipantId } from '../../core/ids.js';
import { MIN_CALLBACK_SECRET_LENGTH } from '../../core/callbacks/index.js';

export interface CallbackSecrets {
  readonly secrets: ReadonlyMap<string, string>;
  /** True if group or others may read the file (refused unless `allowPermissive`). */
  readonly permissive: boolean;
}

const MAX_SECRET_LENGTH = 1024;

/**
 * Loads the secrets file. Throws a plain Error naming the file (never a secret) if it cannot be read, is not the
 * expected JSON, holds an id that is not a participant id or a secret shorter than 32 characters, or — unless
 * `allowPermissive` (the published example file, demo mode) — if group or others have any permission on it.
 */
export function loadCallbackSecrets(file: string, options: { allowPermissive: boolean }): CallbackSecrets {
  let mode: number;
  let parsed: unknown;
  try {
    mode = statSync(file).mode;
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: callback secrets not readable JSON`, { cause: error });
  }
  const permissive = (mode & 0o077) !== 0;
  if (permissive && !options.allowPermissive) {
    throw new Error(`${file}: callback secrets must be readable by the gateway's user only (chmod 600)`);
  }
  const secrets = (parsed as { secrets?: unknown } | null)?.secrets;
  if (typeof secrets !== 'object' || secrets === null || Array.isArray(secrets)) {
    throw new Error(`${file}: expected { "secrets": { "<participant id>": "<secret>" } }`);
  }
  const map = new Map<string, string>();
  for (const [id, secret] of Object.entries(secrets as Record<string, unknown>)) {
    if (!isParticipantId(id)) throw new Error(`${file}: ${JSON.stringify(id)} is not a participant id`);
    if (
      typeof secret !== 'string' ||
      secret.length < MIN_CALLBACK_SECRET_LENGTH ||
      secret.length > MAX_SECRET_LENGTH
    ) {
      throw new Error(
        `${file}: the secret of ${id} must be a string of ${MIN_CALLBACK_SECRET_LENGTH} to ${MAX_SECRET_LENGTH} characters`,
      );
    }
    map.set(id, secret);
  }
  return { secrets: map, permissive };
}
