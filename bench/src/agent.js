'use strict';
// Child process that hosts one adapter, as the "driver" (setup + enqueue side) or as a
// "worker" (startWorker side). The orchestrator (runner.js) talks to it over the IPC channel
// with { id, op, args } requests and { id, ok, value | error } replies. All timing is done
// here, next to the library calls, so IPC costs never enter a measurement.
const { now, sleep, chunk, mb } = require('./util');
const config = require('./config');

let adapter = null;
let client = null;
let role = null;
let label = '?';
let worker = null; // { handle, stats }
let shuttingDown = false;

// If the orchestrator goes away, so do we: no orphaned processes.
process.on('disconnect', () => {
  if (!shuttingDown) process.exit(3);
});

function payload(i, extra) {
  return { i, t: now(), ...extra };
}

const ops = {
  async init({ system, role: r, pollMs, extra }) {
    role = r;
    label = `${system.id}/${r}`;
    adapter = require(system.module);
    const ctx = {
      role,
      db: system.db,
      cfg: config.load(),
      pollMs,
      extra: extra || {},
      log: (...a) => console.error(`[${label}]`, ...a),
    };
    client = await adapter.create(ctx);
    return { pid: process.pid, rss: process.memoryUsage().rss, info: client.info || null };
  },

  async setup() {
    const t0 = now();
    await client.setup();
    return { ms: now() - t0 };
  },

  async enqueueOneTimed({ n, maxSeconds, warmup }) {
    // Untimed warm-up (JIT, connection pool, prepared statements), then the timed loop.
    for (let w = 0; w < warmup; w++) await client.enqueueOne(payload(-1 - w));
    const deadline = now() + maxSeconds * 1000;
    const t0 = now();
    let i = 0;
    while (i < n) {
      await client.enqueueOne(payload(i));
      i++;
      if ((i & 63) === 0 && now() > deadline) break;
    }
    return { count: i, ms: now() - t0 };
  },

  /**
   * keyed: plain enqueues and enqueues each with a distinct key, alternating in blocks so that
   * both see the same table size and the same load; `n` of each.
   */
  async enqueueKeyedTimed({ n, maxSeconds, warmup }) {
    for (let w = 0; w < warmup; w++) {
      await client.enqueueOne(payload(-1 - w));
      await client.enqueueKeyed(payload(-1 - w), `warmup-${w}`);
    }
    const block = 250;
    const deadline = now() + maxSeconds * 1000;
    const plain = { count: 0, ms: 0 };
    const keyed = { count: 0, ms: 0 };
    for (let i = 0; i < n && now() <= deadline; i += block) {
      const size = Math.min(block, n - i);
      let t0 = now();
      for (let k = 0; k < size; k++) await client.enqueueOne(payload(i + k));
      plain.ms += now() - t0;
      plain.count += size;
      t0 = now();
      for (let k = 0; k < size; k++) await client.enqueueKeyed(payload(i + k), `key-${i + k}`);
      keyed.ms += now() - t0;
      keyed.count += size;
    }
    return { plain, keyed };
  },

  async enqueueBulkTimed({ n, batch, maxSeconds, warmup }) {
    for (let w = 0; w < warmup; w += batch) {
      await client.enqueueBulk(Array.from({ length: Math.min(batch, warmup - w) }, (_, k) => payload(-1 - w - k)));
    }
    const deadline = now() + maxSeconds * 1000;
    let i = 0;
    const t0 = now();
    while (i < n) {
      const size = Math.min(batch, n - i);
      const items = new Array(size);
      for (let k = 0; k < size; k++) items[k] = payload(i + k);
      await client.enqueueBulk(items);
      i += size;
      if (now() > deadline) break;
    }
    return { count: i, ms: now() - t0 };
  },

  /** Untimed bulk load used before the processing metrics. */
  async fill({ n, batch }) {
    const t0 = now();
    for (const ids of chunk(Array.from({ length: n }, (_, k) => k), batch)) {
      await client.enqueueBulk(ids.map((k) => payload(k)));
    }
    return { ms: now() - t0 };
  },

  /**
   * Latency producer: enqueues `warmup + count` jobs one at a time with a random gap, so the
   * worker is idle when each one arrives. The payload carries the enqueue timestamp `t`,
   * taken just before the enqueue call; the worker subtracts it from its handler start time.
   */
  async produceLatency({ count, warmup, gapMin, gapMax }) {
    for (let i = 0; i < warmup + count; i++) {
      await client.enqueueOne(payload(i, { l: 1, w: i < warmup ? 1 : 0 }));
      await sleep(gapMin + Math.random() * (gapMax - gapMin));
    }
    return { sent: warmup + count };
  },

  /**
   * Workflow producer: builds the workflow's description untimed (the list of calls, the flow
   * tree), then times the one library call that stores it. `start` is an absolute clock reading,
   * so the orchestrator can subtract it from the callback's start in the worker process.
   */
  async enqueueWorkflow({ kind, n }) {
    if (!client.workflow) throw new Error('this system has no workflow support in the bench');
    const enqueue = await client.workflow(kind, n);
    const start = now();
    await enqueue();
    return { start, ms: now() - start };
  },

  /** The limited metric: `n` jobs that hold a slot of the limited queue for `ms` each. */
  async fillLimited({ n, ms }) {
    if (!client.fillLimited) throw new Error('this system has no queue limits in the bench');
    await client.fillLimited(n, ms);
    return {};
  },

  async pending() {
    return client.pending ? await client.pending() : null;
  },

  async startWorker({ concurrency, mode, queues }) {
    const stats = { count: 0, first: 0, last: 0, samples: [], errors: [], mark: null, valuesMs: 0 };
    // A handler that does work before reporting (a BullMQ parent reading its children's values)
    // passes its start time as `at`. `mark` flags the job whose start a workflow metric measures
    // (a chord's callback, a chain's last step); `valuesMs` is time spent reading values.
    const onJob = (p) => {
      const t = p && p.at !== undefined ? p.at : now();
      if (stats.count === 0) stats.first = t;
      stats.count++;
      stats.last = Math.max(stats.last, t);
      if (p && p.l === 1 && !p.w) stats.samples.push(t - p.t);
      if (p && p.valuesMs) stats.valuesMs += p.valuesMs;
      if (p && p.mark) stats.mark = { at: t, received: p.received, valuesMs: p.valuesMs || 0 };
    };
    const handle = await client.startWorker({ concurrency, mode, onJob, queues });
    // stop() may be asked for twice (stopWorker, then shutdown): run it once.
    let stopping = null;
    const stop = handle && handle.stop ? () => (stopping = stopping || handle.stop()) : null;
    worker = { handle: { ...handle, stop }, stats };
    if (handle && handle.done && typeof handle.done.then === 'function') {
      handle.done.then(
        () => {
          stats.finished = now();
        },
        (e) => stats.errors.push(String((e && e.stack) || e)),
      );
    }
    return { started: now() };
  },

  async stats() {
    const s = worker ? worker.stats : { count: 0, first: 0, last: 0, errors: [], mark: null, valuesMs: 0 };
    return {
      count: s.count,
      first: s.first,
      last: s.last,
      errors: s.errors,
      finished: s.finished || 0,
      rss: process.memoryUsage().rss,
      mark: s.mark,
      valuesMs: s.valuesMs,
    };
  },

  async samples() {
    return worker ? worker.stats.samples : [];
  },

  async rss() {
    return { rss: process.memoryUsage().rss, rssMb: mb(process.memoryUsage().rss) };
  },

  async stopWorker() {
    if (worker && worker.handle && worker.handle.stop) await worker.handle.stop();
    return { stopped: true };
  },

  async shutdown() {
    if (worker && worker.handle && worker.handle.stop) {
      try {
        await worker.handle.stop();
      } catch (e) {
        /* already reported */
      }
    }
    if (client && client.teardown) await client.teardown();
    client = null;
    return { ok: true };
  },
};

process.on('message', async (msg) => {
  if (!msg || typeof msg !== 'object' || !msg.op) return;
  const fn = ops[msg.op];
  try {
    if (!fn) throw new Error(`unknown op ${msg.op}`);
    const value = await fn(msg.args || {});
    process.send({ id: msg.id, ok: true, value });
  } catch (e) {
    process.send({ id: msg.id, ok: false, error: (e && e.stack) || String(e) });
  }
  if (msg.op === 'shutdown') {
    shuttingDown = true;
    // Leave gracefully; if some library still holds a handle after its own close(),
    // do not hang: the timer is unref'd so it only fires when something leaked.
    setTimeout(() => process.exit(0), 3000).unref();
    process.disconnect();
  }
});

process.on('unhandledRejection', (e) => {
  console.error(`[${label}] unhandled rejection:`, (e && e.stack) || e);
  if (worker) worker.stats.errors.push(String((e && e.message) || e));
});
