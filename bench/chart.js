'use strict';
/**
 * The chart of bench/RESULTS.md, written by hand as SVG (no chart library): cold start of every function
 * and of the peer authorizers against `node -e 0`, and the warm cost of a call, ours against the peers and the
 * floor. Input: the results bench/run.js collects from tables 1 and 2.
 */

const COLORS = { ours: '#2563eb', peer: '#ea580c', floor: '#6b7280', prototype: '#16a34a', budget: '#dc2626' };
/** The font attributes of a text element (one font-size attribute each: SVG is XML). */
const font = (size = 12) => `font-family="ui-monospace, SFMono-Regular, Menlo, Consolas, monospace" font-size="${size}"`;

const escape = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * One horizontal bar panel. rows: {label, value, note, color}; scale: 'linear' or 'log'; marks: vertical
 * lines {at, label, color}. Returns the SVG elements and the panel's height.
 */
function panel({ title, subtitle, rows, scale, marks = [], top, width, unit }) {
  const labelWidth = 330;
  const noteWidth = 150;
  const left = labelWidth + 10;
  const plot = width - left - noteWidth - 20;
  const barHeight = 16;
  const gap = 6;
  const values = rows.map((row) => row.value).filter((value) => value > 0);
  const markValues = marks.map((mark) => mark.at);
  const min = scale === 'log' ? 10 ** Math.floor(Math.log10(Math.min(...values))) : 0;
  const step = niceStep(Math.max(...values, ...markValues) / 5);
  const max = scale === 'log' ? 10 ** Math.ceil(Math.log10(Math.max(...values, ...markValues))) : Math.ceil((Math.max(...values, ...markValues) * 1.05) / step) * step;
  const x = (value) => left + (scale === 'log'
    ? (plot * (Math.log10(Math.max(value, min)) - Math.log10(min))) / (Math.log10(max) - Math.log10(min))
    : (plot * value) / max);
  const out = [];
  out.push(`<text x="10" y="${top + 18}" ${font(15)} font-weight="bold">${escape(title)}</text>`);
  out.push(`<text x="10" y="${top + 36}" ${font()} fill="#374151">${escape(subtitle)}</text>`);
  const plotTop = top + 62;
  const plotHeight = rows.length * (barHeight + gap);
  // Grid: decades for a log scale, five steps for a linear one.
  const ticks = [];
  if (scale === 'log') for (let t = min; t <= max * 1.0001; t *= 10) ticks.push(t);
  else for (let tick = 0; tick <= max + step / 2; tick += step) ticks.push(tick);
  for (const tick of ticks) {
    out.push(`<line x1="${x(tick).toFixed(1)}" y1="${plotTop - 4}" x2="${x(tick).toFixed(1)}" y2="${plotTop + plotHeight}" stroke="#e5e7eb"/>`);
    const label = scale === 'log' ? formatLog(tick, unit) : `${Number(tick.toFixed(2))}${unit}`;
    out.push(`<text x="${x(tick).toFixed(1)}" y="${plotTop + plotHeight + 14}" ${font(10)} text-anchor="middle" fill="#6b7280">${escape(label)}</text>`);
  }
  rows.forEach((row, index) => {
    const y = plotTop + index * (barHeight + gap);
    out.push(`<text x="${labelWidth}" y="${y + barHeight - 4}" ${font()} text-anchor="end">${escape(row.label)}</text>`);
    out.push(`<rect x="${left}" y="${y}" width="${Math.max(1, x(row.value) - left).toFixed(1)}" height="${barHeight}" fill="${row.color}"><title>${escape(`${row.label}: ${row.note}`)}</title></rect>`);
    out.push(`<text x="${(x(row.value) + 6).toFixed(1)}" y="${y + barHeight - 4}" ${font(11)} fill="#111827">${escape(row.note)}</text>`);
  });
  for (const mark of marks) {
    out.push(`<line x1="${x(mark.at).toFixed(1)}" y1="${plotTop - 8}" x2="${x(mark.at).toFixed(1)}" y2="${plotTop + plotHeight}" stroke="${mark.color}" stroke-dasharray="4 3" stroke-width="1.5"/>`);
    out.push(`<text x="${(x(mark.at) + 3).toFixed(1)}" y="${plotTop - 10}" ${font(10)} fill="${mark.color}">${escape(mark.label)}</text>`);
  }
  return { elements: out, height: 62 + plotHeight + 30 };
}

/** A round step (1, 2, 2.5 or 5 times a power of ten) near `rough`. */
function niceStep(rough) {
  const power = 10 ** Math.floor(Math.log10(rough));
  return [1, 2, 2.5, 5, 10].map((m) => m * power).find((candidate) => candidate >= rough) ?? 10 * power;
}

function formatLog(value, unit) {
  if (unit === 'µs' && value >= 1000) return `${value / 1000} ms`;
  return `${value} ${unit}`;
}

function legend(top) {
  const items = [['ours', COLORS.ours], ['peer library', COLORS.peer], ['floor', COLORS.floor], ['prototype in bench/', COLORS.prototype], ['budget', COLORS.budget]];
  return items.map(([label, color], index) => {
    const x = 10 + index * 180;
    return `<rect x="${x}" y="${top}" width="12" height="12" fill="${color}"/><text x="${x + 18}" y="${top + 11}" ${font()}>${escape(label)}</text>`;
  });
}

/** The whole chart as an SVG document, from the data of table 1 ("authorizer") and table 2 ("cold-start"). */
function renderChart({ authorizer, coldStart, machine }) {
  const width = 980;
  const parts = [];
  let top = 10;
  parts.push(`<text x="10" y="${top + 16}" ${font(17)} font-weight="bold">jwt-auth: cold start and warm cost, against the peers (one run)</text>`);
  parts.push(`<text x="10" y="${top + 34}" ${font()} fill="#374151">${escape(machine)}</text>`);
  top += 44;
  parts.push(...legend(top));
  top += 24;

  if (coldStart) {
    const rows = coldStart.rows
      .filter((row) => row.kind !== 'variant')
      .sort((a, b) => a.ratio - b.ratio)
      .map((row) => ({
        label: row.kind === 'function' && row.name === 'authorizer' ? 'authorizer (ours)' : row.name,
        value: row.ratio,
        note: `${row.ratio.toFixed(2)}x · ${row.coldMs.toFixed(0)} ms`,
        color: { peer: COLORS.peer, prototype: COLORS.prototype, floor: COLORS.floor }[row.kind] ?? COLORS.ours,
      }));
    rows.unshift({ label: 'node -e 0', value: 1, note: `1.00x · ${coldStart.baseMs.toFixed(0)} ms`, color: COLORS.floor });
    const cold = panel({
      title: 'Cold start: a fresh process loads the bundle and serves one event',
      subtitle: `wall time / node -e 0, median of ${coldStart.rounds} paired rounds; budgets: authorizer 1.2x, all 2.5x`,
      rows,
      scale: 'linear',
      unit: 'x',
      marks: [{ at: 1.2, label: '1.2x', color: COLORS.budget }, { at: 2.5, label: '2.5x', color: COLORS.budget }],
      top,
      width,
    });
    parts.push(...cold.elements);
    top += cold.height + 10;
  }

  const rows = [];
  const es256 = authorizer?.results?.find((result) => result.alg === 'ES256')?.micros;
  if (es256) {
    const pick = [
      ['floor: node:crypto verify + JSON.parse', COLORS.floor, 'floor: node:crypto verify'],
      ['floor: WebCrypto verify + JSON.parse', COLORS.floor, 'floor: WebCrypto verify'],
      ['jose jwtVerify', COLORS.peer, 'jose jwtVerify'],
      ['fast-jwt', COLORS.peer, 'fast-jwt'],
      ['aws-jwt-verify', COLORS.peer, 'aws-jwt-verify'],
      ['jsonwebtoken', COLORS.peer, 'jsonwebtoken'],
      ['ours: authorizer handler', COLORS.ours, 'authorizer handler (ours)'],
      ['prototype: handler + KeyObject', COLORS.prototype, 'handler + KeyObject verifier'],
      ['prototype: handler + cache, hit', COLORS.prototype, 'handler + token cache, hit'],
    ];
    for (const [key, color, label] of pick) {
      if (es256[key] !== undefined) rows.push({ label: `${label} (ES256)`, value: es256[key], note: `${es256[key].toFixed(1)} µs`, color });
    }
  }
  if (coldStart) {
    for (const row of coldStart.rows.filter((r) => r.kind === 'function').sort((a, b) => a.warmMs - b.warmMs)) {
      rows.push({ label: `${row.name}: warm call`, value: row.warmMs * 1000, note: row.warmMs >= 1 ? `${row.warmMs.toFixed(1)} ms` : `${(row.warmMs * 1000).toFixed(0)} µs`, color: COLORS.ours });
    }
  }
  if (rows.length > 0) {
    const warm = panel({
      title: 'Warm cost of one call',
      subtitle: 'log scale: the authorizer\'s verify against peers and floor (table 1); each bundle\'s warm call (table 2)',
      rows,
      scale: 'log',
      unit: 'µs',
      top,
      width,
    });
    parts.push(...warm.elements);
    top += warm.height + 10;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${top}" viewBox="0 0 ${width} ${top}">\n<rect width="100%" height="100%" fill="#ffffff"/>\n${parts.join('\n')}\n</svg>\n`;
}

module.exports = { renderChart };

// `node bench/chart.js`: draws bench/results.svg again from bench/results.json (the data of the last --write).
if (require.main === module) {
  const fs = require('node:fs');
  const path = require('node:path');
  const saved = JSON.parse(fs.readFileSync(path.join(__dirname, 'results.json'), 'utf8'));
  fs.writeFileSync(path.join(__dirname, 'results.svg'), renderChart(saved.chart));
}
