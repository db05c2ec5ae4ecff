/**
 * Column values as the PostgreSQL stores read them. Times are BIGINT milliseconds since the epoch, which `pg`
 * hands back as strings (a BIGINT can exceed 2^53); every time the gateway stores is far below that, so they
 * become numbers here, and a value that is not a safe integer is a damaged row, not a time.
 */

/** A BIGINT column (ms since epoch, a count, an id) as a number. */
export function int(value: string | number | bigint): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`not a safe integer: ${String(value)}`);
  return n;
}

/** A nullable BIGINT column as a number or null. */
export function intOrNull(value: string | number | bigint | null): number | null {
  return value === null ? null : int(value);
}
