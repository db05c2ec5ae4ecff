/**
 * Reading the portal's forms and query strings: the form body parser for every post, and the DPO's filter form
 * and chart period, checked as the API checks its parameters (ERR_SCHEMA, ERR_REQUEST_MALFORMED).
 */
import express from 'express';
import type { Request } from 'express';
import { GatewayError } from '../core/index.js';
import type { TransferQuery } from '../app/index.js';
import { berlinDay, berlinMidnight } from './format.js';
import { FILTER_FIELDS, LIST_OUTCOMES, type FilterForm } from './pages/dpo-shared.js';

/** A form post's body: small, flat (no nested keys), a few fields, not compressed. */
export const formBody = express.urlencoded({
  extended: false,
  limit: 8 * 1024,
  parameterLimit: 20,
  inflate: false,
});

const DAY = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;
/** The longest period the charts draw (one bar per day). */
const MAX_DAYS = 366;

/** A `YYYY-MM-DD` that is a real calendar day, else undefined. */
function calendarDay(value: unknown): string | undefined {
  if (typeof value !== 'string' || !DAY.test(value)) return undefined;
  const ms = Date.parse(`${value}T00:00:00Z`);
  return Number.isFinite(ms) && new Date(ms).toISOString().startsWith(value) ? value : undefined;
}

export function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

/** The filter form's values from a query string: only known fields, strings of sane length, else ERR_SCHEMA. */
export function readFilterForm(query: Request['query']): FilterForm {
  const form: Record<string, string> = {};
  for (const name of FILTER_FIELDS) {
    const value = query[name];
    if (value === undefined || value === '') continue;
    if (typeof value !== 'string' || value.length > 200)
      throw new GatewayError('ERR_SCHEMA', `${name} is not one value`);
    form[name] = value;
  }
  for (const name of ['from', 'to'] as const) {
    if (form[name] !== undefined && calendarDay(form[name]) === undefined) {
      throw new GatewayError('ERR_SCHEMA', `${name} must be a date (YYYY-MM-DD)`);
    }
  }
  if (form['from'] !== undefined && form['to'] !== undefined && form['from'] > form['to']) {
    throw new GatewayError('ERR_REQUEST_MALFORMED', 'from is after to');
  }
  if (form['outcome'] !== undefined && !LIST_OUTCOMES.includes(form['outcome'])) {
    throw new GatewayError('ERR_SCHEMA', 'no such outcome');
  }
  return form;
}

/** The form's days as the API's instants: from the start of `from` to the end of `to`, German time. */
export function toTransferQuery(form: FilterForm): TransferQuery {
  const { from, to, ...rest } = form;
  return {
    ...rest,
    ...(from === undefined ? {} : { from: new Date(berlinMidnight(from)).toISOString() }),
    ...(to === undefined ? {} : { to: new Date(berlinMidnight(nextDay(to))).toISOString() }),
  };
}

/** The charts' period: `from`/`to` days (default the last 30 days up to today), at most MAX_DAYS. */
export function readPeriod(
  query: Request['query'],
  nowMs: number,
): { from: string; to: string; days: string[] } {
  const today = berlinDay(nowMs);
  const to = query['to'] === undefined ? today : calendarDay(query['to']);
  const from =
    query['from'] === undefined
      ? new Date(Date.parse(`${to ?? today}T00:00:00Z`) - 29 * 86_400_000).toISOString().slice(0, 10)
      : calendarDay(query['from']);
  if (from === undefined || to === undefined)
    throw new GatewayError('ERR_SCHEMA', 'from and to must be dates');
  if (from > to) throw new GatewayError('ERR_SCHEMA', 'from is after to');
  const days: string[] = [];
  for (let day = from; day <= to; day = nextDay(day)) {
    days.push(day);
    if (days.length > MAX_DAYS) throw new GatewayError('ERR_SCHEMA', `at most ${MAX_DAYS} days`);
  }
  return { from, to, days };
}
