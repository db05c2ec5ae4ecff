/**
 * Adds an ISO 8601 duration of the form the policies use (date part only: `P2Y`, `P6M`, `P10D`, `P1Y6M`) to a
 * time, in UTC calendar arithmetic (ISO 8601-1:2019 §5.5.2; a month added to 31 January gives 3 March, as in
 * JavaScript's Date). Used for `retentionUntil` of transfer records (§ 9 IDNrG).
 * Throws TypeError on any other duration form (policies are validated on load, so that is a programming error).
 */
const DURATION = /^P(?=[0-9])(?:([0-9]{1,3})Y)?(?:([0-9]{1,4})M)?(?:([0-9]{1,4})W)?(?:([0-9]{1,5})D)?$/;

export function addIsoDuration(startMs: number, duration: string): number {
  const m = DURATION.exec(duration);
  if (!m) throw new TypeError('addIsoDuration: unsupported duration');
  const d = new Date(startMs);
  const [years, months, weeks, days] = [m[1], m[2], m[3], m[4]].map((v) =>
    v === undefined ? 0 : Number(v),
  ) as [number, number, number, number];
  d.setUTCFullYear(d.getUTCFullYear() + years, d.getUTCMonth() + months, d.getUTCDate() + weeks * 7 + days);
  return d.getTime();
}
