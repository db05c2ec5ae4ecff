/** Time formatting the core needs, on epoch milliseconds in UTC. */

/** ISO 8601 UTC with milliseconds, the form transfer records carry. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}
