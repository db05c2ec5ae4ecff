/**
 * The portal's data tables, one shape for all: a caption, column header cells with `scope="col"`, the rows the
 * page builds (row header cells are theirs to add), and on wide tables a scrolling wrapper so narrow screens do
 * not cut them off (WCAG 1.4.10).
 */
import { html, type Html, type HtmlValue } from './html.js';

export function dataTable(options: {
  readonly id?: string;
  readonly caption: string;
  readonly headers: readonly HtmlValue[];
  readonly rows: readonly Html[];
  readonly scroll?: boolean;
}): Html {
  const table = html`<table ${options.id === undefined ? '' : html`id="${options.id}"`}>
    <caption>
      ${options.caption}
    </caption>
    <thead>
      <tr>
        ${options.headers.map((h) => html`<th scope="col">${h}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${options.rows}
    </tbody>
  </table>`;
  return options.scroll ? html`<div class="scroll">${table}</div>` : table;
}
