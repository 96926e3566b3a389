// Hand-drawn SVG charts for the ML page (no charting library: a few hundred bytes of code each,
// nothing to download). Each chart is an image with a title and a description, and comes with
// its data as a table, so what it shows is readable without seeing it.
import { html } from '../html.js';

const WIDTH = 640;
const HEIGHT = 360;
const PAD = { left: 56, right: 16, top: 16, bottom: 40 };
/** Colours for categories (3:1 or more against white) and a shape each: never colour alone. */
export const PALETTE = ['#0b57d0', '#c2410c', '#0a7a3a', '#8e24aa', '#a4161a', '#006d77', '#7a5200', '#3f51b5'];
const SHAPES = ['circle', 'square', 'triangle', 'diamond'];
export const MAX_TABLE_ROWS = 200;

export const colourOf = (index) => (index < 0 ? '#6e7781' : PALETTE[index % PALETTE.length]);
export const shapeOf = (index) => (index < 0 ? 'cross' : SHAPES[index % SHAPES.length]);

function scale(min, max, from, to) {
  const span = max - min || 1;
  return (v) => from + ((v - min) / span) * (to - from);
}

function extent(values) {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min === Infinity ? [0, 1] : [min, max];
}

const fmt = (v) => (Math.abs(v) >= 1000 || Number.isInteger(v) ? String(Math.round(v * 100) / 100) : v.toPrecision(3));

/** A marker's SVG path at (x, y): shapes tell categories apart without colour. */
export function marker(shape, x, y, r = 4) {
  switch (shape) {
    case 'square': return `M${x - r} ${y - r}h${2 * r}v${2 * r}h${-2 * r}z`;
    case 'triangle': return `M${x} ${y - r - 1}L${x + r + 1} ${y + r}H${x - r - 1}z`;
    case 'diamond': return `M${x} ${y - r - 1}L${x + r + 1} ${y}L${x} ${y + r + 1}L${x - r - 1} ${y}z`;
    case 'cross': return `M${x - r} ${y - r}L${x + r} ${y + r}M${x + r} ${y - r}L${x - r} ${y + r}`;
    default: return `M${x - r} ${y}a${r} ${r} 0 1 0 ${2 * r} 0a${r} ${r} 0 1 0 ${-2 * r} 0`;
  }
}

function Axes({ x, y, xLabel, yLabel, xTicks, yTicks }) {
  const bottom = HEIGHT - PAD.bottom;
  return html`<g class="axes" aria-hidden="true">
    <line x1=${PAD.left} y1=${bottom} x2=${WIDTH - PAD.right} y2=${bottom} />
    <line x1=${PAD.left} y1=${PAD.top} x2=${PAD.left} y2=${bottom} />
    ${xTicks.map((t) => html`<text x=${x(t)} y=${bottom + 16} text-anchor="middle">${fmt(t)}</text>`)}
    ${yTicks.map((t) => html`<text x=${PAD.left - 6} y=${y(t) + 4} text-anchor="end">${fmt(t)}</text>`)}
    <text x=${(PAD.left + WIDTH - PAD.right) / 2} y=${HEIGHT - 6} text-anchor="middle">${xLabel}</text>
    <text transform=${`translate(14 ${(PAD.top + bottom) / 2}) rotate(-90)`} text-anchor="middle">${yLabel}</text>
  </g>`;
}

const ticks = ([min, max], n = 5) => Array.from({ length: n }, (_, i) => min + ((max - min) * i) / (n - 1));

/**
 * A scatter plot of `points` ({x, y, group}) coloured and shaped by group; `groups` lists
 * {id, label, count} for the legend.
 */
export function Scatter({ id, title, description, points, groups, xLabel, yLabel }) {
  const [x0, x1] = extent(points.map((p) => p.x));
  const [y0, y1] = extent(points.map((p) => p.y));
  const x = scale(x0, x1, PAD.left + 6, WIDTH - PAD.right - 6);
  const y = scale(y0, y1, HEIGHT - PAD.bottom - 6, PAD.top + 6);
  const paths = new Map(groups.map((g) => [g.id, []]));
  for (const p of points) paths.get(p.group)?.push(marker(shapeOf(p.group), x(p.x).toFixed(1), y(p.y).toFixed(1)));
  return html`<figure class="chart">
    <svg viewBox=${`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby=${`${id}-title ${id}-desc`}>
      <title id=${`${id}-title`}>${title}</title>
      <desc id=${`${id}-desc`}>${description}</desc>
      <${Axes} x=${x} y=${y} xLabel=${xLabel} yLabel=${yLabel} xTicks=${ticks([x0, x1])} yTicks=${ticks([y0, y1])} />
      ${groups.map((g) => html`<path class="series" data-group=${g.id} d=${paths.get(g.id).join('')}
        fill=${g.id < 0 ? 'none' : colourOf(g.id)} stroke=${colourOf(g.id)} fill-opacity="0.75" />`)}
    </svg>
    <figcaption>
      <ul class="legend" aria-label="Legend">
        ${groups.map((g) => html`<li>
          <svg width="14" height="14" viewBox="0 0 14 14" aria-hidden="true">
            <path d=${marker(shapeOf(g.id), 7, 7, 5)} fill=${g.id < 0 ? 'none' : colourOf(g.id)} stroke=${colourOf(g.id)} />
          </svg>
          ${g.label} (${g.count} points)
        </li>`)}
      </ul>
    </figcaption>
  </figure>`;
}

/**
 * Vertical bars, one per value (`values`: numbers), flagged ones (`flags[i]`) in the alert colour;
 * `threshold`: a dashed line. Drawn as two paths, so thousands of bars stay light.
 */
export function Bars({ id, title, description, values, flags, threshold, xLabel, yLabel }) {
  const [v0, v1] = extent([...values, threshold ?? values[0] ?? 0]);
  const low = Math.min(0, v0);
  const x = scale(0, values.length, PAD.left, WIDTH - PAD.right);
  const y = scale(low, v1, HEIGHT - PAD.bottom, PAD.top);
  const width = Math.max(0.5, (x(1) - x(0)) * 0.8);
  const normal = [];
  const flagged = [];
  values.forEach((v, i) => {
    const top = y(Math.max(v, 0));
    const bar = `M${x(i).toFixed(2)} ${top.toFixed(2)}h${width.toFixed(2)}V${y(Math.min(v, 0)).toFixed(2)}h${(-width).toFixed(2)}z`;
    (flags?.[i] ? flagged : normal).push(bar);
  });
  return html`<figure class="chart">
    <svg viewBox=${`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby=${`${id}-title ${id}-desc`}>
      <title id=${`${id}-title`}>${title}</title>
      <desc id=${`${id}-desc`}>${description}</desc>
      <${Axes} x=${x} y=${y} xLabel=${xLabel} yLabel=${yLabel} xTicks=${ticks([0, values.length])}
        yTicks=${ticks([low, v1])} />
      <path class="series" d=${normal.join('')} fill=${PALETTE[0]} />
      <path class="series flagged" d=${flagged.join('')} fill=${PALETTE[4]} />
      ${threshold == null ? null : html`<line class="threshold" x1=${PAD.left} x2=${WIDTH - PAD.right}
        y1=${y(threshold)} y2=${y(threshold)} />`}
    </svg>
  </figure>`;
}

/** Horizontal bars with their labels (`items`: {label, value, error}), largest first. */
export function HBars({ id, title, description, items, valueLabel }) {
  const rowHeight = 26;
  const height = PAD.top + items.length * rowHeight + PAD.bottom;
  const labelWidth = 160;
  const [v0, v1] = extent([0, ...items.map((i) => i.value)]);
  const x = scale(v0, v1, labelWidth, WIDTH - PAD.right - 40);
  return html`<figure class="chart">
    <svg viewBox=${`0 0 ${WIDTH} ${height}`} role="img" aria-labelledby=${`${id}-title ${id}-desc`}>
      <title id=${`${id}-title`}>${title}</title>
      <desc id=${`${id}-desc`}>${description}</desc>
      <g class="axes" aria-hidden="true">
        ${items.map((item, i) => {
          const top = PAD.top + i * rowHeight;
          return html`<text x=${labelWidth - 6} y=${top + 17} text-anchor="end">${item.label}</text>
            <rect class="series" x=${Math.min(x(0), x(item.value))} y=${top + 4}
              width=${Math.abs(x(item.value) - x(0))} height=${rowHeight - 8} fill=${PALETTE[0]} />
            <text x=${Math.max(x(0), x(item.value)) + 4} y=${top + 17}>${fmt(item.value)}</text>`;
        })}
        <line x1=${x(0)} y1=${PAD.top} x2=${x(0)} y2=${height - PAD.bottom} />
        <text x=${(labelWidth + WIDTH) / 2} y=${height - 10} text-anchor="middle">${valueLabel}</text>
      </g>
    </svg>
  </figure>`;
}

/** The data behind a chart as a table (the first MAX_TABLE_ROWS rows), folded by default. */
export function DataTable({ caption, columns, rows }) {
  const shown = rows.slice(0, MAX_TABLE_ROWS);
  return html`<details class="data-table">
    <summary>${caption}: data table${rows.length > shown.length ? ` (first ${shown.length} of ${rows.length} rows)` : ''}</summary>
    <table>
      <caption class="visually-hidden">${caption}</caption>
      <thead><tr>${columns.map((c) => html`<th scope="col">${c}</th>`)}</tr></thead>
      <tbody>${shown.map((r) => html`<tr>${r.map((v, i) => (i === 0 ? html`<th scope="row">${v}</th>` : html`<td>${v}</td>`))}</tr>`)}</tbody>
    </table>
  </details>`;
}
