/**
 * The gateway's root logger (SECURITY.md "HTTP": one line per event, control characters escaped, no IDNr, token
 * or payload in clear). pino writes one JSON object per line and escapes control characters in every string, so
 * a "\n" in a message cannot forge a second line. `redact` removes the fields that carry personal data or
 * credentials; a last-resort scrub masks anything shaped like an IDNr in messages and serialised errors. Every
 * line names its `event`; docs/log-events.md is the catalogue, kept in sync by test/unit/log-events.test.ts.
 */
import { pino } from 'pino';
import type { DestinationStream, Logger } from 'pino';
import { createDroppingDestination, type DroppingDestination } from './log-destination.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface LoggerOptions {
  readonly level: LogLevel;
  /** Where lines go; stdout by default. Tests pass a stream that collects lines. */
  readonly destination?: DestinationStream;
}

/** Paths whose values never reach the log. `*` covers one level, so the common nestings are listed. */
export const REDACT_PATHS: readonly string[] = [
  'idnr',
  '*.idnr',
  'subject',
  '*.subject',
  'subjectIdnr',
  '*.subjectIdnr',
  'token',
  '*.token',
  'bearer',
  '*.bearer',
  'authorization',
  '*.authorization',
  'headers',
  '*.headers',
  'cookie',
  '*.cookie',
  'cookies',
  '*.cookies',
  'body',
  '*.body',
  'payload',
  '*.payload',
  'evidence',
  '*.evidence',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'privateKey',
  '*.privateKey',
];

/** Eleven digits standing alone: the shape of an IDNr (§ 1 IDNrG). Masked wherever free text is logged. */
const IDNR_LIKE = /(?<![0-9])[0-9]{11}(?![0-9])/g;
const BEARER_LIKE = /(bearer\s+)[A-Za-z0-9\-._~+/]+=*/gi;

/** Masks IDNr-shaped digit runs and bearer tokens in free text. */
export function scrubText(text: string): string {
  return text.replace(IDNR_LIKE, '[idnr]').replace(BEARER_LIKE, '$1[token]');
}

function scrubDeep(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (depth <= 0 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, depth - 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrubDeep(v, depth - 1);
  return out;
}

function serializeError(error: Error): unknown {
  return pino.stdSerializers.errWithCause(error);
}

let stdout: DroppingDestination | undefined;

/** The process's stdout destination, shared by every logger that writes there (created on first use). */
function stdoutDestination(): DroppingDestination {
  stdout ??= createDroppingDestination({ fd: 1 });
  return stdout;
}

/** Log lines to stdout dropped since the start: a full buffer or a failed write (the metric reads it). */
export function droppedLogLines(): number {
  return stdout?.dropped() ?? 0;
}

/** Writes what waits for stdout, as far as it takes it (at shutdown). Never throws. */
export function flushLogSync(): void {
  stdout?.flushSync();
}

/** Creates the root logger. Call once at start-up; everything else uses `logger.child(...)`. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      messageKey: 'msg',
      redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
      formatters: {
        // Free-text members (a note, a reason, an error's message or stack) could quote an IDNr or a token.
        // Errors are serialised here, before any serializer of a child logger (pino-http brings its own) runs.
        log: (object) => {
          const out: Record<string, unknown> = {};
          for (const [k, v] of Object.entries(object))
            out[k] = scrubDeep(v instanceof Error ? serializeError(v) : v, 6);
          return out;
        },
      },
      serializers: {
        err: (error: unknown) => scrubDeep(error instanceof Error ? serializeError(error) : error, 6),
      },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((arg) => (typeof arg === 'string' ? scrubText(arg) : arg));
          return method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    // Never pino.destination: its buffer grows without bound and its write errors kill the process.
    options.destination ?? stdoutDestination(),
  );
}

export type { Logger };
