'use strict';
// Turns result rows into the console table, the Markdown report and the SVG chart.

const COLORS = {
  'nestjs-tasks': '#e0234e',
  'raw-sql': '#8a8a8a',
  'pg-boss': '#336791',
  'graphile-worker': '#e3a21a',
  bullmq: '#2a9d8f',
};
const DB_ORDER = ['sqlite', 'postgres', 'mysql', 'redis'];
const SYS_ORDER = ['nestjs-tasks', 'raw-sql', 'pg-boss', 'graphile-worker', 'bullmq', 'bare-nest'];
// The workflow metrics have a table of their own (workflowTable); the main table, the ratios
// against raw SQL and the chart leave them out.
const WORKFLOW_METRICS = ['chord', 'chord_enqueue', 'chain', 'chain_enqueue'];
const isWorkflow = (r) => WORKFLOW_METRICS.includes(r.metric);
// The unique-task metric (keyed: enqueues with a key, and plain ones measured alongside) too.
const KEYED_METRICS = ['keyed', 'keyed_plain'];
const isKeyed = (r) => KEYED_METRICS.includes(r.metric);
const mainRows = (rows) => rows.filter((r) => !isWorkflow(r) && !isKeyed(r));

/** The columns present in `rows`, in a fixed order. */
function columns(rows) {
  const cols = [];
  const has = (pred) => rows.some(pred);
  if (has((r) => r.metric === 'enqueue_one')) cols.push({ key: 'enqueue_one', title: 'enqueue 1/s', pick: (r) => r.metric === 'enqueue_one', kind: 'rate' });
  if (has((r) => r.metric === 'enqueue_bulk')) cols.push({ key: 'enqueue_bulk', title: 'bulk/s', pick: (r) => r.metric === 'enqueue_bulk', kind: 'rate' });
  const cs = [...new Set(rows.filter((r) => r.metric === 'process').map((r) => r.c))].sort((a, b) => a - b);
  for (const c of cs) cols.push({ key: `process_c${c}`, title: `proc c=${c}/s`, pick: (r) => r.metric === 'process' && r.c === c, kind: 'rate' });
  const multi = rows.find((r) => r.metric === 'process_multi');
  if (multi) cols.push({ key: 'process_multi', title: `${multi.procs}p×c${multi.c}/s`, pick: (r) => r.metric === 'process_multi', kind: 'rate' });
  for (const p of [50, 95, 99]) {
    if (has((r) => r.metric === `latency_p${p}`)) cols.push({ key: `latency_p${p}`, title: `p${p} ms`, pick: (r) => r.metric === `latency_p${p}`, kind: 'ms' });
  }
  if (has((r) => r.metric === 'rss_idle')) cols.push({ key: 'rss_idle', title: 'RSS idle MB', pick: (r) => r.metric === 'rss_idle', kind: 'mb' });
  if (has((r) => r.metric === 'rss_100k')) {
    const n = rows.find((r) => r.metric === 'rss_100k').n;
    cols.push({ key: 'rss_100k', title: `RSS ${n >= 1000 ? `${Math.round(n / 1000)}k` : n} MB`, pick: (r) => r.metric === 'rss_100k', kind: 'mb' });
  }
  return cols;
}

function systemsOf(rows) {
  const keys = [...new Set(rows.map((r) => `${r.system}:${r.db}`))];
  return keys
    .map((k) => ({ key: k, system: k.split(':')[0], db: k.split(':')[1] }))
    .sort((a, b) => DB_ORDER.indexOf(a.db) - DB_ORDER.indexOf(b.db) || SYS_ORDER.indexOf(a.system) - SYS_ORDER.indexOf(b.system));
}

function fmtValue(row, kind) {
  if (!row || row.value === null || row.value === undefined) return '–';
  const v = row.value;
  let s;
  if (kind === 'rate') s = v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(1);
  else if (kind === 'ms') s = v >= 100 ? Math.round(v).toString() : v.toFixed(1);
  else if (kind === 's') s = (v / 1000).toFixed(v >= 100_000 ? 0 : v >= 1000 ? 2 : 3); // stored in ms
  else s = v.toFixed(0);
  if (row.partial) s += '*';
  if (row.leftPending) s += '!';
  return s;
}

function table(all) {
  const rows = mainRows(all);
  const cols = columns(rows);
  const header = ['system', 'db', ...cols.map((c) => c.title)];
  const body = systemsOf(rows).map((s) => {
    const mine = rows.filter((r) => `${r.system}:${r.db}` === s.key);
    return [s.system, s.db, ...cols.map((c) => fmtValue(mine.find(c.pick), c.kind))];
  });
  return { header, body, cols };
}

/** raw ÷ system per throughput column, for systems on a database with a raw-SQL row. */
function ratios(all) {
  const rows = mainRows(all);
  const cols = columns(rows).filter((c) => c.kind === 'rate');
  const out = [];
  for (const s of systemsOf(rows)) {
    // bare-nest measures idle memory only: it has no throughput to compare.
    if (s.system === 'raw-sql' || s.system === 'bare-nest') continue;
    const raw = rows.filter((r) => r.system === 'raw-sql' && r.db === s.db);
    if (!raw.length) continue;
    const mine = rows.filter((r) => `${r.system}:${r.db}` === s.key);
    out.push([
      s.system,
      s.db,
      ...cols.map((c) => {
        const a = raw.find(c.pick);
        const b = mine.find(c.pick);
        if (!a || !b || !a.value || !b.value) return '–';
        return `${(a.value / b.value).toFixed(a.value / b.value >= 10 ? 0 : 1)}×`;
      }),
    ]);
  }
  return { header: ['system', 'db', ...cols.map((c) => c.title.replace('/s', ''))], body: out };
}

function textTable({ header, body }) {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i < 2 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

function mdTable({ header, body }) {
  const align = header.map((_, i) => (i < 2 ? ':--' : '--:'));
  return [header, align, ...body].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

function esc(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Small multiples of horizontal bars, log scale, one panel per metric column. */
function svg(all, meta) {
  // bare-nest has one number (idle RSS): in the table and the targets, not a bar of every panel.
  const rows = mainRows(all).filter((r) => r.system !== 'bare-nest');
  const cols = columns(rows).filter((c) => c.kind !== 'mb' || rows.some((r) => c.pick(r)));
  const systems = systemsOf(rows);
  const panelW = 600;
  const labelW = 190;
  const barW = panelW - labelW - 80;
  const rowH = 17;
  const gap = 26;
  const panelH = 44 + systems.length * rowH;
  const perRow = 2;
  const width = perRow * panelW + (perRow + 1) * 20;
  const top = 70;
  const legendH = 30;
  const nPanels = cols.length;
  const height = top + Math.ceil(nPanels / perRow) * (panelH + gap) + legendH + 20;
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  out.push(`<text x="20" y="28" font-size="18" font-weight="bold">${esc(meta.title)}</text>`);
  out.push(`<text x="20" y="50" fill="#555">${esc(meta.subtitle)}</text>`);
  cols.forEach((col, idx) => {
    const px = 20 + (idx % perRow) * (panelW + 20);
    const py = top + Math.floor(idx / perRow) * (panelH + gap);
    const better = `${col.kind === 'mb' ? 'linear' : 'log scale'}, ${col.kind === 'rate' ? 'higher is better' : 'lower is better'}`;
    const unit = col.kind === 'rate' ? 'jobs/s' : col.kind === 'ms' ? 'ms' : 'MB';
    out.push(`<g transform="translate(${px},${py})">`);
    out.push(`<rect x="0" y="0" width="${panelW}" height="${panelH}" fill="#fafafa" stroke="#ddd"/>`);
    out.push(`<text x="10" y="18" font-weight="bold">${esc(col.title.replace('/s', ''))} <tspan font-weight="normal" fill="#777">(${unit}, ${better})</tspan></text>`);
    const vals = systems.map((s) => rows.find((r) => `${r.system}:${r.db}` === s.key && col.pick(r))).map((r) => (r && r.value > 0 ? r : null));
    const present = vals.filter(Boolean).map((r) => r.value);
    if (!present.length) {
      out.push('</g>');
      return;
    }
    const y0 = 30;
    let x;
    let lo;
    if (col.kind === 'mb') {
      // Memory: linear from 0, ticks every 25/50/100 MB.
      const max = Math.max(...present);
      const step = max > 400 ? 100 : max > 150 ? 50 : 25;
      const hi = Math.ceil(max / step) * step;
      lo = 0;
      x = (v) => labelW + (v / hi) * barW;
      for (let t = 0; t <= hi; t += step) tick(t, `${t}`);
    } else {
      const min = Math.min(...present);
      lo = Math.pow(10, Math.floor(Math.log10(min)));
      if (Math.log10(min) - Math.log10(lo) < 0.3) lo /= 10; // keep the smallest bar visible
      let hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...present))));
      if (hi <= lo) hi = lo * 10;
      x = (v) => labelW + ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * barW;
      for (let t = lo; t <= hi * 1.0001; t *= 10) tick(t, t >= 1e6 ? `${t / 1e6}M` : t >= 1000 ? `${t / 1000}k` : `${+t.toPrecision(3)}`);
    }
    function tick(t, text) {
      const tx = x(t);
      out.push(`<line x1="${tx.toFixed(1)}" y1="${y0 - 2}" x2="${tx.toFixed(1)}" y2="${y0 + systems.length * rowH}" stroke="#e4e4e4"/>`);
      out.push(`<text x="${tx.toFixed(1)}" y="${panelH - 3}" text-anchor="middle" fill="#888" font-size="10">${text}</text>`);
    }
    systems.forEach((s, i) => {
      const yy = y0 + i * rowH;
      if (i > 0 && systems[i - 1].db !== s.db) {
        out.push(`<line x1="10" y1="${yy}" x2="${panelW - 10}" y2="${yy}" stroke="#cfcfcf" stroke-dasharray="3,3"/>`);
      }
      out.push(`<text x="${labelW - 8}" y="${yy + 12}" text-anchor="end">${esc(`${s.system} · ${s.db}`)}</text>`);
      const r = vals[i];
      if (!r) {
        out.push(`<text x="${labelW + 4}" y="${yy + 12}" fill="#aaa">n/a</text>`);
        return;
      }
      const w = Math.max(1, x(Math.max(r.value, lo || 0)) - labelW);
      const color = COLORS[s.system] || '#555';
      out.push(`<rect x="${labelW}" y="${yy + 2}" width="${w.toFixed(1)}" height="${rowH - 4}" fill="${color}"${s.system === 'raw-sql' ? ' fill-opacity="0.55"' : ''}/>`);
      out.push(`<text x="${(labelW + w + 4).toFixed(1)}" y="${yy + 12}" fill="#333">${esc(fmtValue(r, col.kind))}</text>`);
    });
    out.push('</g>');
  });
  const ly = height - legendH;
  let lx = 20;
  for (const name of SYS_ORDER) {
    if (!systems.some((s) => s.system === name)) continue;
    out.push(`<rect x="${lx}" y="${ly}" width="12" height="12" fill="${COLORS[name]}"${name === 'raw-sql' ? ' fill-opacity="0.55"' : ''}/>`);
    const label = name === 'raw-sql' ? 'raw SQL baseline (no framework)' : name;
    out.push(`<text x="${lx + 16}" y="${ly + 10}">${esc(label)}</text>`);
    lx += 34 + label.length * 7;
  }
  out.push(`<text x="${width - 20}" y="${ly + 10}" text-anchor="end" fill="#888">* stopped at the time cap · ! jobs left pending</text>`);
  out.push('</svg>');
  return out.join('\n');
}

function size(n) {
  return n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n);
}

function workflowColumns(rows) {
  const cols = [];
  for (const [kind, ending] of [
    ['chord', 'callback'],
    ['chain', 'last step'],
  ]) {
    const row = rows.find((r) => r.metric === kind || r.metric === `${kind}_enqueue`);
    if (!row) continue;
    const label = `${kind} ${size(row.n)}`;
    cols.push({ key: `${kind}_enqueue`, title: `${label} enqueue s`, pick: (r) => r.metric === `${kind}_enqueue`, kind: 's' });
    cols.push({ key: kind, title: `${label} → ${ending} s`, pick: (r) => r.metric === kind, kind: 's' });
  }
  return cols;
}

/** chord / chain: seconds from the start of the enqueue call (and of the enqueue alone). */
function workflowTable(all) {
  const rows = all.filter(isWorkflow);
  const cols = workflowColumns(rows);
  const body = systemsOf(rows).map((s) => {
    const mine = rows.filter((r) => `${r.system}:${r.db}` === s.key);
    return [s.system, s.db, ...cols.map((c) => fmtValue(mine.find(c.pick), c.kind))];
  });
  return { header: ['system', 'db', ...cols.map((c) => c.title)], body, cols };
}

/**
 * BullMQ's time ÷ nestjs-tasks' time, for each nestjs-tasks database against BullMQ on Redis and
 * on PostgreSQL (2.0× = nestjs-tasks is done in half the time).
 */
function workflowRatios(all) {
  const rows = all.filter(isWorkflow);
  const cols = workflowColumns(rows);
  const peers = ['redis', 'postgres'].filter((db) => rows.some((r) => r.system === 'bullmq' && r.db === db));
  const body = [];
  for (const s of systemsOf(rows).filter((x) => x.system === 'nestjs-tasks')) {
    const mine = rows.filter((r) => `${r.system}:${r.db}` === s.key);
    for (const db of peers) {
      const peer = rows.filter((r) => r.system === 'bullmq' && r.db === db);
      body.push([
        `nestjs-tasks:${s.db}`,
        `bullmq:${db}`,
        ...cols.map((c) => {
          const a = peer.find(c.pick);
          const b = mine.find(c.pick);
          if (!a || !b || !a.value || !b.value) return '–';
          const x = a.value / b.value;
          return `${x.toFixed(x >= 10 ? 0 : x >= 1 ? 1 : 2)}×`;
        }),
      ]);
    }
  }
  return { header: ['system', 'against', ...cols.map((c) => c.title.replace(/ s$/, ''))], body };
}

/** keyed: enqueues per second with a distinct key and without, and their ratio (target ≥ 0.8×). */
function keyedTable(all) {
  const rows = all.filter(isKeyed);
  const body = systemsOf(rows).map((s) => {
    const mine = rows.filter((r) => `${r.system}:${r.db}` === s.key);
    const keyed = mine.find((r) => r.metric === 'keyed');
    const plain = mine.find((r) => r.metric === 'keyed_plain');
    const ratio = keyed && plain && plain.value ? `${(keyed.value / plain.value).toFixed(2)}×` : '–';
    return [s.system, s.db, fmtValue(plain, 'rate'), fmtValue(keyed, 'rate'), ratio];
  });
  return { header: ['system', 'db', 'plain enqueue/s', 'keyed enqueue/s', 'keyed ÷ plain'], body };
}

module.exports = { table, ratios, textTable, mdTable, svg, columns, workflowTable, workflowRatios, isWorkflow, mainRows, keyedTable, isKeyed };
