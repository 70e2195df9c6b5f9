// The peer benchmark's table: one row per figure, one column per SDK, each
// cell the absolute figure and its ratio to mv3-telemetry's (peer / ours).

/** `n` bytes as KiB with one decimal. */
export const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
/** A duration in ms: one decimal below 100. */
export const ms = (n) => `${n < 100 ? n.toFixed(1) : Math.round(n)} ms`;
/** A duration in µs: two decimals below 10. */
export const us = (n) => `${n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : Math.round(n)} µs`;
/** A plain count or size. */
export const num = (n) => (Number.isInteger(n) ? String(n) : n.toFixed(n < 10 ? 2 : 1));

/** peer / base as "0.42×", "∞" when only the base is zero, "=" when both are. */
export function ratio(value, base) {
  if (base === 0) return value === 0 ? '=' : '∞';
  const r = value / base;
  return `${r < 10 ? r.toFixed(2) : Math.round(r)}×`;
}

/**
 * A cell: `null` (not measured) -> '—'; {text} -> that text as is (a failure
 * or a note); a number -> `format(n)`, plus the ratio to `base` unless this
 * is the base column; {value, note} -> the number, then the note.
 */
export function cell(v, format, base, isBase) {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'object' && 'text' in v) return v.text;
  const value = typeof v === 'object' ? v.value : v;
  const note = typeof v === 'object' && v.note ? ` ${v.note}` : '';
  if (value === null || value === undefined) return `—${note}`;
  const shown = format(value);
  if (isBase || typeof base !== 'number') return `${shown}${note}`;
  return `${shown} (${ratio(value, base)})${note}`;
}

const escape = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');

/**
 * A Markdown table. `columns`: [{id, label}], the first being the base of
 * the ratios; `rows`: [{label, format, values: {[id]: value}}].
 */
export function markdownTable(columns, rows) {
  const baseId = columns[0].id;
  const lines = [
    `| figure | ${columns.map((c) => escape(c.label)).join(' | ')} |`,
    `|---|${columns.map(() => '---').join('|')}|`,
  ];
  for (const row of rows) {
    const bv = row.values[baseId];
    const base = typeof bv === 'number' ? bv : (bv && typeof bv === 'object' && typeof bv.value === 'number' ? bv.value : undefined);
    const cells = columns.map((c) => escape(cell(row.values[c.id], row.format, base, c.id === baseId)));
    lines.push(`| ${escape(row.label)} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

