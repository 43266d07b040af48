#!/usr/bin/env node
'use strict';
// Where a chain's steps go: a chain of N pipe() steps run by one worker (c=10) in this process,
// idle when it arrives; prints the time per step, the gap between two steps' starts (p50, p90)
// and the process's CPU time per step, and with --sql every statement per step (count, mean
// round trip), counted by wrapping the driver's query calls (pg, mysql2). Compare two builds
// round by round (--root of each, alternating), as with drain-cpu.js:
//
//   node bench/chain-trace.js [--db postgres|mysql|sqlite] [--n 300] [--root DIR] [--sql] [--kind chord]
//
// --kind chord: a chord of N members and its callback instead (per step: per member).
const path = require('path');
const fs = require('fs');
const os = require('os');
const { flag, root: ROOT } = require('./src/script-flags').scriptFlags();
const DB = flag('db', 'postgres');
const N = Number(flag('n', '300'));
const KIND = flag('kind', 'chain');
const { createRequire } = require('module');
const rootRequire = createRequire(path.join(ROOT, 'package.json'));
const stats = new Map();
let trace = false;
const rec = (sql, ms) => {
  if (!trace) return;
  const key = String(sql).replace(/\s+/g, ' ').trim().slice(0, 60);
  const s = stats.get(key) || { n: 0, ms: 0 }; s.n++; s.ms += ms; stats.set(key, s);
};
if (DB === 'postgres') {
  const pg = rootRequire('pg');
  for (const proto of [pg.Client.prototype]) {
    const q = proto.query;
    proto.query = function (config, values, cb) {
      const text = typeof config === 'string' ? config : config && config.text;
      const t = performance.now();
      if (typeof cb === 'function') return q.call(this, config, values, (...a) => { rec(text, performance.now() - t); cb(...a); });
      if (typeof values === 'function') return q.call(this, config, (...a) => { rec(text, performance.now() - t); values(...a); });
      if (config && typeof config.callback === 'function') { const c = config.callback; config.callback = (...a) => { rec(text, performance.now() - t); c(...a); }; }
      const r = q.call(this, config, values, cb);
      if (r && typeof r.then === 'function') r.then(() => rec(text, performance.now() - t), () => {});
      return r;
    };
  }
} else if (DB === 'mysql') {
  const Conn = require(path.join(path.dirname(rootRequire.resolve('mysql2')), 'lib/base/connection.js'));
  const q = Conn.prototype.query;
  Conn.prototype.query = function (sql, values, cb) {
    const text = typeof sql === 'string' ? sql : sql && sql.sql;
    const t = performance.now();
    if (typeof cb === 'function') return q.call(this, sql, values, (...a) => { rec(text, performance.now() - t); cb(...a); });
    if (typeof values === 'function') return q.call(this, sql, (...a) => { rec(text, performance.now() - t); values(...a); });
    if (sql && typeof sql.onResult === 'function') { const o = sql.onResult; sql.onResult = (...a) => { rec(text, performance.now() - t); o(...a); }; }
    return q.call(this, sql, values, cb);
  };
}
(async () => {
  const adapter = require(path.join(ROOT, 'bench', 'systems', 'nestjs-tasks.js'));
  const cfg = require(path.join(ROOT, 'bench', 'src', 'config.js')).load();
  cfg.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chain-trace-'));
  const system = await adapter.create({ db: DB, role: 'driver', cfg, log: (l) => console.error(l), pollMs: 50 });
  try {
    await system.setup();
    const starts = [];
    let done;
    const finished = new Promise((r) => { done = r; });
    const worker = await system.startWorker({ concurrency: 10, mode: 'idle', onJob: (p) => { starts.push(performance.now()); if (p && p.mark) done(p); } });
    await new Promise((r) => setTimeout(r, 500));
    const enqueue = system.workflow(KIND, N);
    const cpu = process.cpuUsage();
    trace = true;
    const t0 = performance.now();
    await enqueue();
    const p = await finished;
    const total = performance.now() - t0;
    trace = false;
    const used = process.cpuUsage(cpu);
    await worker.stop();
    const gaps = starts.slice(1).map((s, i) => s - starts[i]).sort((a, b) => a - b);
    const q = (f) => gaps[Math.floor(f * (gaps.length - 1))];
    const out = { root: ROOT, db: DB, kind: KIND, n: N, received: p.received, totalMs: +total.toFixed(0), perStepMs: +(total / N).toFixed(2),
      gapP50: +q(0.5).toFixed(2), gapP90: +q(0.9).toFixed(2), cpuMsPerStep: +(((used.user + used.system) / 1000) / N).toFixed(2) };
    console.log(JSON.stringify(out));
    if (process.argv.includes('--sql')) {
      const rows = [...stats.entries()].sort((a, b) => b[1].ms - a[1].ms);
      for (const [k, s] of rows) console.log(`${(s.n / N).toFixed(2).padStart(6)}/step ${(s.ms / s.n).toFixed(2).padStart(7)} ms avg ${(s.ms / N).toFixed(2).padStart(6)} ms/step  ${k}`);
    }
  } finally {
    await system.teardown();
    fs.rmSync(cfg.dataDir, { recursive: true, force: true });
  }
})().catch((e) => { console.error(e); process.exit(1); });
