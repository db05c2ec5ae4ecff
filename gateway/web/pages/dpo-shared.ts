/** What the DPO's pages share: their frame, and the filter form's fields, outcomes and query string. */
import { TRANSFER_FILTERS } from '../../app/index.js';
import type { Lang } from '../i18n.js';
import type { FrameUser } from '../layout.js';

export interface DpoFrame {
  readonly lang: Lang;
  readonly path: string;
  readonly user: FrameUser;
}

/** The filter form's fields (the API's filters), as the DPO typed them (dates as `YYYY-MM-DD`). */
export const FILTER_FIELDS = TRANSFER_FILTERS;
export type FilterForm = Partial<Record<(typeof FILTER_FIELDS)[number], string>>;

export const LIST_OUTCOMES = [
  'released',
  'refused',
  'withheld',
  'awaiting-citizen',
  'intent',
  'retention-extended',
];

/** The query string of a filter (empty fields left out), with extra parameters. */
export function filterQuery(form: FilterForm, extra: Readonly<Record<string, string>> = {}): string {
  const params = new URLSearchParams();
  for (const name of FILTER_FIELDS) {
    const value = form[name];
    if (value !== undefined && value !== '') params.set(name, value);
  }
  for (const [name, value] of Object.entries(extra)) params.set(name, value);
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}
