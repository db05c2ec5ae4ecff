/** Date arithmetic the core needs, on epoch milliseconds in UTC. */

const DURATION = /^P(?:(\d{1,4})Y)?(?:(\d{1,4})M)?(?:(\d{1,5})D)?$/;

/**
 * Adds an ISO 8601 date duration (`P2Y`, `P6M`, `P30D`, `P1Y6M`) to an instant, calendar-wise in UTC.
 * Throws a TypeError for anything else: durations come from validated policies, so a bad one is a bug.
 */
export function addIsoDuration(ms: number, duration: string): number {
  const m = DURATION.exec(duration);
  if (!m || duration === 'P') throw new TypeError(`unsupported ISO 8601 duration: ${duration}`);
  const d = new Date(ms);
  d.setUTCFullYear(d.getUTCFullYear() + Number(m[1] ?? 0), d.getUTCMonth() + Number(m[2] ?? 0));
  return d.getTime() + Number(m[3] ?? 0) * 86_400_000;
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}
