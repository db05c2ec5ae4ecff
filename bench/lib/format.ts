/** How the bench prints figures: the table's rows and the JSON line's rounding. */
export const n = (value: number, digits = 0) =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
export const row = (label: string, value: string) => console.log(`  ${label.padEnd(30)} ${value}`);
export const round = (value: number, digits = 1) => Number(value.toFixed(digits));
