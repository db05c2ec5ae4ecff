/**
 * Where the operator log goes: a file descriptor (stdout) written asynchronously, that can never hang or kill
 * the gateway (issue 11: with stdout on a full disk the process stopped answering, then died of an unhandled
 * pino destination error). Lines wait in a bounded buffer; when the buffer is full (a reader that does not
 * read, a slow disk) new lines are dropped, and when a write fails for good (ENOSPC, EPIPE, EIO) its lines are
 * dropped and writing is tried again later. Every dropped line is counted (`dropped()`, the metric
 * `oog_log_lines_dropped_total`), so an operator sees that the log has a gap and how large it is.
 */
import { write, writeSync } from 'node:fs';

export interface DroppingDestination {
  /** pino's stream interface: one call per line, the line ending in "\n". Never throws, never blocks. */
  write(line: string): boolean;
  /** Writes what is buffered, synchronously, as far as the descriptor takes it (at shutdown); never throws. */
  flushSync(): void;
  /** Lines dropped since the start. */
  dropped(): number;
  /** The last write error's code, if a write failed. */
  lastError(): string | undefined;
}

export interface DroppingDestinationOptions {
  readonly fd: number;
  /** Most bytes waiting to be written; default 4 MiB. */
  readonly maxBufferedBytes?: number;
  /** Pause after a failed write before the next try; default 1 000 ms. */
  readonly retryMs?: number;
  /** Injected for tests; default node:fs write. */
  readonly writeFn?: typeof write;
}

/** Most bytes handed to one write call. */
const CHUNK_BYTES = 64 * 1024;

export function createDroppingDestination(options: DroppingDestinationOptions): DroppingDestination {
  const { fd } = options;
  const maxBufferedBytes = options.maxBufferedBytes ?? 4 * 1024 * 1024;
  const retryMs = options.retryMs ?? 1_000;
  const writeFn = options.writeFn ?? write;
  let lines: Buffer[] = [];
  let buffered = 0;
  let writing = false;
  let scheduled = false;
  let dropped = 0;
  let lastError: string | undefined;

  /** Takes lines from the front of the buffer, up to CHUNK_BYTES (at least one). */
  function take(): { chunk: Buffer; count: number } {
    let size = 0;
    let count = 0;
    while (count < lines.length && (count === 0 || size + lines[count]!.length <= CHUNK_BYTES)) {
      size += lines[count]!.length;
      count++;
    }
    const chunk = Buffer.concat(lines.slice(0, count), size);
    lines = lines.slice(count);
    buffered -= size;
    return { chunk, count };
  }

  function pump(): void {
    scheduled = false;
    if (writing || lines.length === 0) return;
    writing = true;
    const { chunk, count } = take();
    const send = (from: number): void => {
      writeFn(fd, chunk, from, chunk.length - from, null, (error, written) => {
        if (error) {
          const code = (error as NodeJS.ErrnoException).code ?? error.message;
          if (code === 'EAGAIN') {
            // A non-blocking pipe that is full: the same bytes again shortly.
            setTimeout(() => send(from), 10).unref();
            return;
          }
          // The chunk is lost (a full disk, a closed pipe); its lines are counted, writing goes on later.
          lastError = code;
          dropped += count;
          setTimeout(() => {
            writing = false;
            pump();
          }, retryMs).unref();
          return;
        }
        if (from + written < chunk.length) {
          send(from + written);
          return;
        }
        writing = false;
        pump();
      });
    };
    send(0);
  }

  return {
    write(line) {
      const bytes = Buffer.from(line, 'utf8');
      if (buffered + bytes.length > maxBufferedBytes) {
        dropped++;
        return true;
      }
      lines.push(bytes);
      buffered += bytes.length;
      if (!writing && !scheduled) {
        scheduled = true;
        setImmediate(pump);
      }
      return true;
    },
    flushSync() {
      // A chunk in flight has already left `lines`; it completes (or is counted) on its own.
      try {
        for (const line of lines) writeSync(fd, line);
        lines = [];
        buffered = 0;
      } catch (error) {
        lastError = (error as NodeJS.ErrnoException).code ?? String(error);
        dropped += lines.length;
        lines = [];
        buffered = 0;
      }
    },
    dropped: () => dropped,
    lastError: () => lastError,
  };
}
