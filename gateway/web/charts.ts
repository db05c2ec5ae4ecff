/**
 * Charts drawn on the server as SVG (no script, no canvas): stacked bars per day, and horizontal bars. Each chart
 * is an `img` with a title naming what it shows; the page puts the same numbers in a table beside it, which is
 * the text alternative (WCAG 1.1.1). Colours are SVG presentation attributes (the CSP forbids inline styles), each
 * with at least 3:1 contrast against white (WCAG 1.4.11).
 */
import { html, type Html } from './html.js';

export interface Series {
  readonly key: string;
  readonly label: string;
  readonly color: string;
}

/** Dark enough on white for non-text contrast; outcomes get fixed colours, other series take these in turn. */
export const PALETTE = ['#0b5cad', '#7a3db8', '#00796b', '#b7410e', '#5d6b00', '#a4005b', '#4a4a4a'] as const;

export const OUTCOME_COLORS: Readonly<Record<string, string>> = {
  released: '#1a7f37',
  refused: '#b42318',
  withheld: '#8a5a00',
};

const WIDTH = 760;
const HEIGHT = 260;
const LEFT = 44;
const BOTTOM = 36;
const TOP = 10;

/** A round upper bound for the axis and its tick step. */
function scale(max: number): { top: number; step: number } {
  if (max <= 0) return { top: 1, step: 1 };
  const raw = max / 4;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!;
  return { top: Math.ceil(max / step) * step, step: Math.max(1, step) };
}

/** The legend: a swatch and a label per series, as a list. */
export function legend(series: readonly Series[]): Html {
  return html`<ul class="legend">
    ${series.map(
      (s) =>
        html`<li>
          <svg width="14" height="14" aria-hidden="true" focusable="false">
            <rect width="14" height="14" fill="${s.color}" />
          </svg>
          ${s.label}
        </li>`,
    )}
  </ul>`;
}

/**
 * Bars per day, stacked by series. `counts(day, key)` gives a value; `dayLabel` the x-axis text (shown for
 * about ten days, so it stays legible).
 */
export function stackedDayBars(options: {
  readonly id: string;
  readonly title: string;
  readonly days: readonly string[];
  readonly series: readonly Series[];
  readonly counts: (day: string, key: string) => number;
  readonly dayLabel: (day: string) => string;
}): Html {
  const { days, series, counts } = options;
  const totals = days.map((d) => series.reduce((sum, s) => sum + counts(d, s.key), 0));
  const { top, step } = scale(Math.max(0, ...totals));
  const plotW = WIDTH - LEFT - 8;
  const plotH = HEIGHT - TOP - BOTTOM;
  const slot = plotW / Math.max(1, days.length);
  const barW = Math.max(1, slot * 0.7);
  const y = (v: number) => TOP + plotH - (v / top) * plotH;
  const ticks: Html[] = [];
  for (let v = 0; v <= top; v += step) {
    ticks.push(
      html`<line x1="${LEFT}" x2="${WIDTH - 8}" y1="${y(v)}" y2="${y(v)}" stroke="#c8c8c8" />
        <text x="${LEFT - 6}" y="${y(v) + 4}" text-anchor="end" font-size="11" fill="#1a1a1a">${v}</text>`,
    );
  }
  const every = Math.max(1, Math.ceil(days.length / 10));
  const bars = days.map((day, i) => {
    let base = 0;
    const x = LEFT + i * slot + (slot - barW) / 2;
    const parts = series.map((s) => {
      const v = counts(day, s.key);
      if (v === 0) return html``;
      const rect = html`<rect
        x="${x.toFixed(1)}"
        y="${y(base + v).toFixed(1)}"
        width="${barW.toFixed(1)}"
        height="${((v / top) * plotH).toFixed(1)}"
        fill="${s.color}"
        ><title>${day}: ${s.label} ${v}</title></rect
      >`;
      base += v;
      return rect;
    });
    const label =
      i % every === 0
        ? html`<text
            x="${(x + barW / 2).toFixed(1)}"
            y="${HEIGHT - BOTTOM + 16}"
            text-anchor="middle"
            font-size="11"
            fill="#1a1a1a"
            >${options.dayLabel(day)}</text
          >`
        : html``;
    return html`${parts}${label}`;
  });
  return html`<svg
    id="${options.id}"
    class="chart"
    role="img"
    aria-labelledby="${options.id}-title"
    viewBox="0 0 ${WIDTH} ${HEIGHT}"
    width="100%"
    preserveAspectRatio="xMinYMin meet"
  >
    <title id="${options.id}-title">${options.title}</title>
    ${ticks} ${bars}
    <line x1="${LEFT}" x2="${WIDTH - 8}" y1="${y(0)}" y2="${y(0)}" stroke="#1a1a1a" />
  </svg>`;
}

/** One horizontal bar per item, largest first, with its value at the end. */
export function horizontalBars(options: {
  readonly id: string;
  readonly title: string;
  readonly items: readonly { readonly label: string; readonly value: number }[];
  readonly color: string;
}): Html {
  const items = [...options.items].sort((a, b) => b.value - a.value);
  const rowH = 26;
  const labelW = 250;
  const height = Math.max(1, items.length) * rowH + 8;
  const max = Math.max(1, ...items.map((i) => i.value));
  const plotW = WIDTH - labelW - 60;
  return html`<svg
    id="${options.id}"
    class="chart"
    role="img"
    aria-labelledby="${options.id}-title"
    viewBox="0 0 ${WIDTH} ${height}"
    width="100%"
    preserveAspectRatio="xMinYMin meet"
  >
    <title id="${options.id}-title">${options.title}</title>
    ${items.map((item, i) => {
      const w = (item.value / max) * plotW;
      const top = 4 + i * rowH;
      return html`<text x="${labelW - 8}" y="${top + 17}" text-anchor="end" font-size="12" fill="#1a1a1a"
          >${item.label}</text
        >
        <rect
          x="${labelW}"
          y="${top + 4}"
          width="${Math.max(1, w).toFixed(1)}"
          height="${rowH - 8}"
          fill="${options.color}"
        />
        <text x="${(labelW + w + 6).toFixed(1)}" y="${top + 17}" font-size="12" fill="#1a1a1a"
          >${item.value}</text
        >`;
    })}
  </svg>`;
}
