#!/usr/bin/env node
'use strict';
// What bulk enqueue on SQLite can reach: the same batches (1 000 no-op payloads, one transaction
// each) stored three ways on one machine, in alternating rounds:
//   raw-sql    the benchmark's baseline (bench/systems/raw-sqlite.js): a 6-column table with an
//              integer key and one index;
//   statement  the dialect's own INSERT (SQLITE.insert of the build) on the migrated task_results
//              table, run straight through better-sqlite3 with every value computed beforehand;
//   enqueue    enqueueMany() through the benchmark's nestjs-tasks adapter.
// statement ÷ raw-sql is the table's floor (its width, its text key and the claim index);
// enqueue ÷ statement is what the library adds on top.
//
//   node bench/insert-floor.js [--rounds 6] [--n 20000] [--root DIR]
const path = require('path');
const fs = require('fs');
const os = require('os');

const { flag, root: ROOT } = require('./src/script-flags').scriptFlags();
const ROUNDS = Number(flag('rounds', '6'));
const N = Number(flag('n', '20000'));
const BATCH = 1000;

const batches = (round) => Array.from({ length: N / BATCH }, (_, b) =>
  Array.from({ length: BATCH }, (_, i) => ({ i: round * N + b * BATCH + i, t: Date.now() })));

(async () => {
  const cfg = require(path.join(ROOT, 'bench', 'src', 'config.js')).load();
  cfg.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nestjs-tasks-insert-floor-'));
  const ctx = { db: 'sqlite', role: 'driver', cfg, log: (line) => console.error(line), pollMs: 50 };
  const raw = await require(path.join(ROOT, 'bench', 'systems', 'raw-sqlite.js')).create(ctx);
  const tasks = await require(path.join(ROOT, 'bench', 'systems', 'nestjs-tasks.js')).create(ctx);
  const { SQLITE, sqliteInsertValues } = require(path.join(ROOT, 'dist', 'src', 'dialects', 'sqlite', 'sqlite.statements'));
  const { insertValues } = require(path.join(ROOT, 'dist', 'src', 'dialects', 'shared', 'insert-columns'));
  const { newTaskId } = require(path.join(ROOT, 'dist', 'src', 'task-id'));
  const { toSqliteDate } = require(path.join(ROOT, 'dist', 'src', 'dialects', 'shared', 'task-row.mapper'));
  const Database = require(path.join(ROOT, 'node_modules', 'better-sqlite3'));
  let db = null;
  try {
    await raw.setup();
    await tasks.setup();
    db = new Database(path.join(cfg.dataDir, 'nestjs-tasks.sqlite'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    const insert = db.prepare(SQLITE.insert);
    const now = db.prepare(SQLITE.now);
    // What the dialect binds for a no-op task to run now (builds before sqliteInsertValues read
    // the clock in every row's statement).
    const row = (payload) => ({ id: newTaskId(), taskName: 'noop', queueName: 'default', priority: 0, args: JSON.stringify([payload]),
      kwargs: '{}', backend: 'database', runAfter: { afterNow: 0 }, maxAttempts: 1, traceContext: null });
    const statementBatch = db.transaction((payloads) => {
      if (sqliteInsertValues) {
        const at = now.get().now;
        for (const payload of payloads) insert.run(...sqliteInsertValues(row(payload), at, toSqliteDate));
      } else {
        for (const payload of payloads) insert.run(...insertValues(row(payload), toSqliteDate));
      }
    });
    const ways = {
      'raw-sql': (payloads) => raw.enqueueBulk(payloads),
      statement: async (payloads) => statementBatch.immediate(payloads),
      enqueue: (payloads) => tasks.enqueueBulk(payloads),
    };
    const best = Object.fromEntries(Object.keys(ways).map((name) => [name, Infinity]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, store] of Object.entries(ways)) {
        const work = batches(round);
        const started = process.hrtime.bigint();
        for (const payloads of work) await store(payloads);
        const usPerRow = Number(process.hrtime.bigint() - started) / 1000 / N;
        // The first round warms each up; the best later round is the one least disturbed.
        if (round > 0) best[name] = Math.min(best[name], usPerRow);
      }
    }
    const perSecond = (us) => Math.round(1e6 / us);
    console.log(JSON.stringify({
      root: ROOT, rows: N, rounds: ROUNDS,
      usPerRow: Object.fromEntries(Object.entries(best).map(([name, us]) => [name, +us.toFixed(2)])),
      rowsPerSecond: Object.fromEntries(Object.entries(best).map(([name, us]) => [name, perSecond(us)])),
      statementVsRaw: +(best['raw-sql'] / best.statement).toFixed(2),
      enqueueVsStatement: +(best.statement / best.enqueue).toFixed(2),
      enqueueVsRaw: +(best['raw-sql'] / best.enqueue).toFixed(2),
    }));
  } finally {
    db?.close();
    await tasks.teardown();
    await raw.teardown();
    fs.rmSync(cfg.dataDir, { recursive: true, force: true });
  }
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
