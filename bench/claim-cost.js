#!/usr/bin/env node
'use strict';
// Claim cost against scheduled rows: the median time of one claim (limit 10) of due priority-0
// tasks of a queue, (1) in an empty table, then, interleaved claim by claim so that the load of a
// shared machine weighs on both alike, (2) of a queue with nothing else in it and (3) of a queue
// that also holds N READY rows scheduled for tomorrow at priority 10 (the rows a claim must never
// scan). Prints the medians and the ratios empty ÷ loaded (1.0: the scheduled rows cost nothing).
//
//   node bench/claim-cost.js [--db sqlite,postgres,mysql] [--future 1000000] [--claims 200] [--root DIR]
//
// It drives the dialect of the library built in DIR/dist (default: this repository; `npm run
// build` first) directly, on its own table: file bench/.data/claim-cost.sqlite, and the databases
// named by BENCH_PG_URL / BENCH_MYSQL_URL (defaults: database `bench` on the local servers).
const path = require('path');
const fs = require('fs');
const { createRequire } = require('module');

const { flag, root: ROOT } = require('./src/script-flags').scriptFlags();
const DBS = flag('db', 'sqlite,postgres,mysql').split(',');
const FUTURE = Number(flag('future', '1000000'));
const CLAIMS = Number(flag('claims', '200'));
const LIMIT = 10;

const rootRequire = createRequire(path.join(ROOT, 'package.json'));
rootRequire('reflect-metadata');
const { DataSource } = rootRequire('typeorm');
const lib = rootRequire(path.join(ROOT, 'dist', 'src', 'index.js'));
const { createDialect } = rootRequire(path.join(ROOT, 'dist', 'src', 'dialects', 'create-dialect.js'));

function options(db) {
  const common = { entities: [lib.TaskResult], migrations: lib.TASKS_MIGRATIONS, migrationsRun: false, logging: false };
  if (db === 'sqlite') {
    const dir = path.join(__dirname, '.data');
    fs.mkdirSync(dir, { recursive: true });
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(path.join(dir, `claim-cost.sqlite${suffix}`), { force: true });
    return { type: 'better-sqlite3', database: path.join(dir, 'claim-cost.sqlite'), enableWAL: true, ...common };
  }
  const url = new URL(db === 'postgres'
    ? process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/bench'
    : process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/bench');
  return {
    type: db, host: url.hostname, port: Number(url.port), username: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password), database: url.pathname.slice(1), ...common,
  };
}

/**
 * `count` READY rows of `queue` at `priority`, due `when` ('now' or 'tomorrow'), made by
 * the database itself; `tag` (4 hex digits) keeps the ids of each fill apart.
 */
function fillSql(db, queue, count, priority, when, tag) {
  const cols = 'id, task_name, status, queue_name, priority, args, kwargs, backend, run_after, enqueued_at, max_attempts, attempt, errors, worker_ids, cancel_requested';
  if (db === 'sqlite') {
    const due = when === 'now' ? "strftime('%Y-%m-%d %H:%M:%f', 'now', '-1 seconds')" : "strftime('%Y-%m-%d %H:%M:%f', 'now', '+1 days')";
    return `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${count})
      INSERT INTO task_results (${cols})
      SELECT printf('%08d-${tag}-7000-8000-%012d', i, i), 'Bench.noop', 'READY', '${queue}', ${priority}, '[]', '{}', 'database',
             ${due}, strftime('%Y-%m-%d %H:%M:%f', 'now'), 1, 0, '[]', '[]', 0 FROM n`;
  }
  if (db === 'postgres') {
    const due = when === 'now' ? "now() - interval '1 second'" : "now() + interval '1 day'";
    return `INSERT INTO task_results (${cols})
      SELECT (lpad(to_hex(i), 8, '0') || '-${tag}-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, 'Bench.noop', 'READY', '${queue}', ${priority},
             '[]', '{}', 'database', ${due}, now(), 1, 0, '[]', '[]', false FROM generate_series(1, ${count}) AS i`;
  }
  const due = when === 'now' ? 'UTC_TIMESTAMP(3) - INTERVAL 1 SECOND' : 'UTC_TIMESTAMP(3) + INTERVAL 1 DAY';
  return `INSERT INTO task_results (${cols})
    SELECT CONCAT(LPAD(HEX(seq), 8, '0'), '-${tag}-7000-8000-', LPAD(HEX(seq), 12, '0')), 'Bench.noop', 'READY', '${queue}', ${priority},
           '[]', '{}', 'database', ${due}, UTC_TIMESTAMP(3), 1, 0, '[]', '[]', 0 FROM seq_1_to_${count}`;
}

/** The median claim time of each queue, claims of the queues taken in turn. */
async function medianClaimMs(dialect, queues) {
  const times = queues.map(() => []);
  for (let i = 0; i < CLAIMS; i++) {
    for (const [index, queue] of queues.entries()) {
      const start = process.hrtime.bigint();
      const claimed = await dialect.claim({ workerId: 'bench', queues: [queue], limit: LIMIT, leaseMs: 600_000 });
      times[index].push(Number(process.hrtime.bigint() - start) / 1e6);
      if (claimed.length !== LIMIT) throw new Error(`claim ${i} of ${queue} took ${claimed.length} rows, expected ${LIMIT}`);
    }
  }
  return times.map((list) => list.sort((a, b) => a - b)[Math.floor(list.length / 2)]);
}

async function measure(db) {
  const dataSource = await new DataSource({ ...options(db), migrations: [] }).initialize();
  await dataSource.query('DROP TABLE IF EXISTS task_results');
  await dataSource.query('DROP TABLE IF EXISTS migrations');
  await dataSource.destroy();
  const ds = await new DataSource(options(db)).initialize();
  try {
    await ds.runMigrations();
    const analyze = async () => ds.query(db === 'postgres' ? 'VACUUM ANALYZE task_results' : db === 'mysql' ? 'ANALYZE TABLE task_results' : 'ANALYZE');
    const dialect = createDialect(ds);
    await ds.query(fillSql(db, 'alone', CLAIMS * LIMIT, 0, 'now', '000a'));
    await analyze();
    const [emptyTable] = await medianClaimMs(dialect, ['alone']);
    const started = Date.now();
    await ds.query(fillSql(db, 'alone', CLAIMS * LIMIT, 0, 'now', '000b'));
    await ds.query(fillSql(db, 'crowded', CLAIMS * LIMIT, 0, 'now', '000c'));
    await ds.query(fillSql(db, 'crowded', FUTURE, 10, 'tomorrow', '000d'));
    await analyze();
    const fillSeconds = (Date.now() - started) / 1000;
    const [alone, crowded] = await medianClaimMs(dialect, ['alone', 'crowded']);
    await dialect.close();
    return { db, emptyTable, alone, crowded, fillSeconds };
  } finally {
    await ds.destroy();
  }
}

(async () => {
  console.log(`claim cost: median of ${CLAIMS} claims of ${LIMIT} due rows at priority 0, without and with ${FUTURE} READY rows due tomorrow at priority 10 (${ROOT})`);
  for (const db of DBS) {
    try {
      const r = await measure(db);
      console.log(`${db.padEnd(9)} empty table ${r.emptyTable.toFixed(3)} ms | interleaved: queue alone ${r.alone.toFixed(3)} ms, ` +
        `queue with the scheduled rows ${r.crowded.toFixed(3)} ms | ratios ${(r.emptyTable / r.crowded).toFixed(2)} (empty table), ` +
        `${(r.alone / r.crowded).toFixed(2)} (interleaved)   (fill ${r.fillSeconds.toFixed(0)} s)`);
    } catch (error) {
      console.log(`${db.padEnd(9)} failed: ${error.message}`);
      process.exitCode = 1;
    }
  }
})();
