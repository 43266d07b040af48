#!/usr/bin/env node
'use strict';
// CPU per task of a drain: enqueues N no-op tasks, then one worker (concurrency 10, in this
// process) runs them all, and the process's CPU time over the drain is divided by N. On a shared
// machine CPU time moves far less than wall-clock throughput, so two builds compared round by
// round (--root of each, alternating) show what a change costs the plain path.
//
//   node bench/drain-cpu.js [--db sqlite|postgres|mysql] [--n 20000] [--root DIR]
//
// It uses the benchmark's nestjs-tasks adapter (bench/systems/nestjs-tasks.js) of the build in
// DIR (default: this repository; `npm run build` first), on a fresh SQLite file or the databases
// named by BENCH_PG_URL / BENCH_MYSQL_URL.
const path = require('path');
const fs = require('fs');
const os = require('os');

const { flag, root: ROOT } = require('./src/script-flags').scriptFlags();
const DB = flag('db', 'sqlite');
const N = Number(flag('n', '20000'));

(async () => {
  const adapter = require(path.join(ROOT, 'bench', 'systems', 'nestjs-tasks.js'));
  const cfg = require(path.join(ROOT, 'bench', 'src', 'config.js')).load();
  cfg.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nestjs-tasks-drain-'));
  const system = await adapter.create({ db: DB, role: 'driver', cfg, log: (line) => console.error(line), pollMs: 50 });
  try {
    await system.setup();
    for (let i = 0; i < N; i += 1000) {
      await system.enqueueBulk(Array.from({ length: Math.min(1000, N - i) }, (_, j) => ({ i: i + j })));
    }
    let ran = 0;
    const cpu = process.cpuUsage();
    const started = performance.now();
    const worker = await system.startWorker({ concurrency: 10, mode: 'drain', onJob: () => ran++ });
    await worker.done;
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const cpuMs = (used.user + used.system) / 1000;
    console.log(JSON.stringify({ root: ROOT, db: DB, tasks: ran, jobsPerSecond: Math.round(ran / seconds), cpuMsPer1000Tasks: +(cpuMs / (ran / 1000)).toFixed(1) }));
  } finally {
    await system.teardown();
    fs.rmSync(cfg.dataDir, { recursive: true, force: true });
  }
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
