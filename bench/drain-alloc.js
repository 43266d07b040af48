#!/usr/bin/env node
'use strict';
// Bytes allocated per task of a drain, and where: the drain of drain-cpu.js (N no-op tasks, one
// worker of concurrency 10 in this process) under V8's sampling heap profiler, which counts the
// objects the young and old collections freed as well. Every byte allocated per task is young
// generation filled, and what lives across a database round trip is promoted: the allocation rate
// is what sizes a worker's heap (see "Memory of a worker" in bench/README.md).
//
//   node bench/drain-alloc.js [--db sqlite|postgres|mysql] [--n 20000] [--root DIR] [--top 15]
//
// The profiler slows the drain: compare builds by bytes, not by its time.
const path = require('path');
const fs = require('fs');
const os = require('os');
const inspector = require('inspector');

const { flag, root: ROOT } = require('./src/script-flags').scriptFlags();
const DB = flag('db', 'sqlite');
const N = Number(flag('n', '20000'));
const TOP = Number(flag('top', '15'));

const post = (session, method, params = {}) =>
  new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));

/** Self bytes by function (name, file, line), summed over the profile's tree. */
function bySite(head) {
  const sites = new Map();
  let total = 0;
  const walk = (node) => {
    const { functionName, url, lineNumber } = node.callFrame;
    if (node.selfSize > 0) {
      const site = `${functionName || '(anonymous)'} ${url ? `${path.basename(url)}:${lineNumber + 1}` : '(native)'}`;
      sites.set(site, (sites.get(site) ?? 0) + node.selfSize);
      total += node.selfSize;
    }
    node.children.forEach(walk);
  };
  walk(head);
  return { total, sites: [...sites].sort((a, b) => b[1] - a[1]) };
}

(async () => {
  const adapter = require(path.join(ROOT, 'bench', 'systems', 'nestjs-tasks.js'));
  const cfg = require(path.join(ROOT, 'bench', 'src', 'config.js')).load();
  cfg.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nestjs-tasks-alloc-'));
  const system = await adapter.create({ db: DB, role: 'driver', cfg, log: (line) => console.error(line), pollMs: 50 });
  const session = new inspector.Session();
  session.connect();
  try {
    await system.setup();
    for (let i = 0; i < N; i += 1000) {
      await system.enqueueBulk(Array.from({ length: Math.min(1000, N - i) }, (_, j) => ({ i: i + j })));
    }
    let ran = 0;
    await post(session, 'HeapProfiler.enable');
    await post(session, 'HeapProfiler.startSampling', {
      samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true,
    });
    const worker = await system.startWorker({ concurrency: 10, mode: 'drain', onJob: () => ran++ });
    await worker.done;
    const { profile } = await post(session, 'HeapProfiler.stopSampling');
    const { total, sites } = bySite(profile.head);
    console.log(JSON.stringify({ root: ROOT, db: DB, tasks: ran, bytesPerTask: Math.round(total / ran) }));
    for (const [site, bytes] of sites.slice(0, TOP)) console.log(`${String(Math.round(bytes / ran)).padStart(7)} B  ${site}`);
  } finally {
    session.disconnect();
    await system.teardown();
    fs.rmSync(cfg.dataDir, { recursive: true, force: true });
  }
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
