'use strict';
// The performance targets of the second stage, checked against one run's rows: each target's
// measured value (a ratio between two rows of the same run, or a latency), the goal and whether
// the run met it. A target whose rows the run did not measure is "not measured".

const DB_NAMES = { sqlite: 'SQLite', postgres: 'PostgreSQL', mysql: 'MariaDB/MySQL' };
const DBS = Object.keys(DB_NAMES);

/** The row of `metric` for `system:db` (process rows: at concurrency `c`, else the largest). */
function find(rows, system, db, metric, c) {
  const mine = rows.filter((r) => r.system === system && r.db === db && r.metric === metric && r.value > 0);
  if (c !== undefined) return mine.find((r) => r.c === c) || null;
  return mine.sort((a, b) => b.c - a.c)[0] || null;
}

const ratio = (a, b) => (a && b ? { value: a.value / b.value, partial: a.partial || b.partial } : null);
const single = (a) => (a ? { value: a.value, partial: a.partial } : null);

/**
 * Every target as { db, target, goal, measured: { value, partial } | null, kind, ok(value) }.
 * `kind`: 'x' (a ratio, shown 0.30×), 'ms', 'mb'.
 */
function targets(rows) {
  const out = [];
  const nest = (db, metric, c) => find(rows, 'nestjs-tasks', db, metric, c);
  const processC = (db) => {
    // The one-process rate at the concurrency of the 4-process run, if any, else the largest.
    const multi = nest(db, 'process_multi');
    return nest(db, 'process', multi ? multi.c : undefined);
  };
  const sqliteProc = processC('sqlite');
  const c = sqliteProc ? sqliteProc.c : 10;
  out.push({
    db: 'sqlite',
    target: `one process c=${c} ÷ raw SQL`,
    goal: 0.3,
    kind: 'x',
    measured: ratio(sqliteProc, sqliteProc && find(rows, 'raw-sql', 'sqlite', 'process', sqliteProc.c)),
  });
  out.push({ db: 'sqlite', target: 'bulk enqueue ÷ raw SQL', goal: 0.3, kind: 'x', measured: ratio(nest('sqlite', 'enqueue_bulk'), find(rows, 'raw-sql', 'sqlite', 'enqueue_bulk')) });
  for (const [db, p50, p99] of [
    ['sqlite', 3, 10],
    ['postgres', 1.5, 5],
  ]) {
    out.push({ db, target: 'enqueue → start p50, idle worker in another process', goal: p50, kind: 'ms', measured: single(nest(db, 'latency_p50')) });
    out.push({ db, target: 'enqueue → start p99, idle worker in another process', goal: p99, kind: 'ms', measured: single(nest(db, 'latency_p99')) });
  }
  out.push({
    db: 'postgres',
    target: "bulk enqueue ÷ graphile-worker's add_jobs",
    goal: 1.0,
    kind: 'x',
    measured: ratio(nest('postgres', 'enqueue_bulk'), find(rows, 'graphile-worker', 'postgres', 'enqueue_bulk')),
  });
  for (const db of DBS) {
    const multi = nest(db, 'process_multi');
    out.push({
      db,
      target: `${multi ? multi.procs : 4} processes ÷ one process, c=${multi ? multi.c : 10}`,
      goal: 0.9,
      kind: 'x',
      measured: ratio(multi, multi && nest(db, 'process', multi.c)),
    });
  }
  for (const db of DBS) {
    const idle = nest(db, 'rss_idle');
    const after = nest(db, 'rss_100k');
    const n = after ? after.n : 100000;
    out.push({
      db,
      target: `RSS growth over ${n.toLocaleString('en-US')} tasks (after − idle)`,
      goal: 20,
      kind: 'mb',
      below: true,
      measured: idle && after ? { value: after.value - idle.value, partial: after.partial } : null,
    });
  }
  for (const db of DBS) {
    out.push({
      db,
      target: 'idle RSS ÷ bare Nest application context with TypeORM',
      goal: 1.1,
      kind: 'x',
      atMost: true,
      measured: ratio(nest(db, 'rss_idle'), find(rows, 'bare-nest', db, 'rss_idle')),
    });
  }
  for (const db of DBS) {
    out.push({ db, target: 'keyed enqueue ÷ plain enqueue', goal: 0.8, kind: 'x', measured: ratio(nest(db, 'keyed'), nest(db, 'keyed_plain')) });
  }
  return out;
}

/** Whether a measured value meets its goal: ratios at least the goal (idle RSS: at most), latencies at most, growth below. */
function met(t) {
  const v = t.measured.value;
  if (t.kind === 'ms' || t.atMost) return v <= t.goal;
  if (t.below) return v < t.goal;
  return v >= t.goal;
}

function fmt(kind, v) {
  if (kind === 'x') return `${v.toFixed(2)}×`;
  if (kind === 'ms') return `${v.toFixed(1)} ms`;
  return `${v >= 0 ? '+' : ''}${v.toFixed(0)} MB`;
}

function goalText(t) {
  if (t.kind === 'ms') return `≤ ${t.goal} ms`;
  if (t.below) return `< ${t.goal} MB`;
  return `${t.atMost ? '≤' : '≥'} ${t.goal.toFixed(t.goal < 1 ? 2 : 1)}×`;
}

/** { header, body } for report.textTable / report.mdTable. */
function targetTable(rows) {
  const body = targets(rows).map((t) => {
    const db = DB_NAMES[t.db];
    if (!t.measured) return [db, t.target, 'not measured', goalText(t), 'not measured'];
    return [db, t.target, `${fmt(t.kind, t.measured.value)}${t.measured.partial ? '*' : ''}`, goalText(t), met(t) ? 'met' : 'missed'];
  });
  return { header: ['db', 'target', 'measured', 'goal', 'result'], body };
}

module.exports = { targets, targetTable, met };
