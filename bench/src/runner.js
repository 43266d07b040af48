'use strict';
// Orchestrator side: spawns agents (real child processes, via fork), runs the metrics for one
// system and reports rows. See README.md for what each metric measures exactly.
const path = require('path');
const { fork } = require('child_process');
const { now, sleep, percentile, mb } = require('./util');

const LIVE = new Set();

class Agent {
  constructor(label) {
    this.label = label;
    this.seq = 0;
    this.waiting = new Map();
    this.exited = false;
    this.child = fork(path.join(__dirname, 'agent.js'), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: process.env,
    });
    this.pid = this.child.pid;
    LIVE.add(this);
    this.exitPromise = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exited = true;
        LIVE.delete(this);
        for (const { reject, timer } of this.waiting.values()) {
          clearTimeout(timer);
          reject(new Error(`${label}: process exited (code ${code}, signal ${signal}) before answering`));
        }
        this.waiting.clear();
        resolve({ code, signal });
      });
    });
    this.child.on('message', (msg) => {
      const w = this.waiting.get(msg && msg.id);
      if (!w) return;
      this.waiting.delete(msg.id);
      clearTimeout(w.timer);
      if (msg.ok) w.resolve(msg.value);
      else w.reject(new Error(`${label}: ${msg.error}`));
    });
    this.child.on('error', () => {});
  }

  call(op, args = {}, timeoutMs = 600_000) {
    if (this.exited) return Promise.reject(new Error(`${this.label}: process already exited`));
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`${this.label}: ${op} timed out after ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      this.waiting.set(id, { resolve, reject, timer });
      try {
        this.child.send({ id, op, args });
      } catch (e) {
        this.waiting.delete(id);
        clearTimeout(timer);
        reject(e);
      }
    });
  }

  /** Asks the agent to tear its adapter down and exit; kills it if it does not. */
  async close(timeoutMs = 30_000) {
    if (this.exited) return;
    try {
      await this.call('shutdown', {}, timeoutMs);
    } catch (e) {
      if (!this.exited) console.error(`  ! ${this.label}: shutdown failed: ${e.message.split('\n')[0]}`);
    }
    const r = await Promise.race([this.exitPromise, sleep(5000).then(() => null)]);
    if (!r && !this.exited) {
      console.error(`  ! ${this.label}: still running 5 s after shutdown (a handle leaked?); killing pid ${this.pid}`);
      this.kill();
      await this.exitPromise;
    }
  }

  kill() {
    try {
      process.kill(this.pid, 'SIGKILL');
    } catch (e) {
      /* gone already */
    }
  }
}

function killAll() {
  for (const a of LIVE) a.kill();
}

function firstLine(e) {
  return String((e && e.message) || e).split('\n').slice(0, 2).join(' | ');
}

/**
 * Runs the selected metrics for one system. `emit(row)` gets every result row;
 * returns { skipped: reason } when the system could not even start.
 */
/** Errors that mean "the server went away for a moment" (restarted, say), not "the system failed". */
const TRANSIENT =
  /ECONNREFUSED|ECONNRESET|EPIPE|shutting down|starting up|administrator command|Connection terminated|terminating connection|server closed the connection|Connection is closed|PROTOCOL_CONNECTION_LOST/i;

async function benchSystem(system, opts, emit) {
  const base = { system: system.name, db: system.db };
  const rowOut = (metric, n, c, value, unit, extra = {}) =>
    emit({ ...base, metric, n, c, value: Number.isFinite(value) ? Math.round(value * 1000) / 1000 : null, unit, ...extra });
  const log = (s) => console.log(`  ${system.id.padEnd(26)} ${s}`);
  // A baseline that measures some metrics only (bare-nest: rss_idle) sits the others out.
  const m = new Set(opts.metrics.filter((x) => !system.metrics || system.metrics.includes(x)));
  if (!m.size) return { skipped: `measures ${system.metrics.join(', ')} only` };

  let driver = null;
  const startDriver = async () => {
    const agent = new Agent(`${system.id}/driver`);
    try {
      await agent.call('init', { system, role: 'driver', pollMs: opts.pollMs }, 120_000);
    } catch (e) {
      await agent.close(10_000);
      throw e;
    }
    driver = agent;
  };
  // After a transient error: wait for the server, then start a fresh driver (its connections are gone).
  const recoveries = [];
  const recover = async (e) => {
    log(`server hiccup (${firstLine(e).slice(0, 120)}); waiting for it, then retrying`);
    recoveries.push(firstLine(e).slice(0, 160));
    if (driver) await driver.close(10_000);
    driver = null;
    await waitForServer(system.server, 60_000);
    await startDriver();
  };

  try {
    try {
      await startDriver();
    } catch (e) {
      if (!TRANSIENT.test(String(e && e.message)) || opts.retries < 1) return { skipped: firstLine(e) };
      try {
        await recover(e);
      } catch (e2) {
        return { skipped: firstLine(e2) };
      }
    }
    const failures = [];

    // With --repeat R, every throughput measurement runs R times and the row carries the median
    // (all values in `runs`).
    const repeated = (out, times) => {
      if (times <= 1) return { out, flush: () => {} };
      const pending = new Map();
      return {
        out: (metric, n, c, value, unit, extra = {}) => {
          const k = `${metric}/${c}`;
          if (!pending.has(k)) pending.set(k, []);
          pending.get(k).push({ metric, n, c, value, unit, extra });
        },
        flush: () => {
          for (const list of pending.values()) {
            const sorted = [...list].sort((a, b) => a.value - b.value);
            const med = sorted[Math.floor((sorted.length - 1) / 2)];
            out(med.metric, med.n, med.c, med.value, med.unit, { ...med.extra, runs: list.map((x) => Math.round(x.value)) });
          }
        },
      };
    };
    // One measurement: repeated --repeat times (throughput ones), retried up to --retries times
    // when the server went away in the middle (another process restarting PostgreSQL, say).
    const measure = async (name, once, { repeat = opts.repeat } = {}) => {
      for (let attempt = 0; ; attempt++) {
        const r = repeated(rowOut, repeat);
        try {
          for (let k = 0; k < repeat; k++) await once(r.out);
          r.flush();
          return;
        } catch (e) {
          if (TRANSIENT.test(String(e && e.message)) && attempt < opts.retries) {
            try {
              await recover(e);
              continue;
            } catch (e2) {
              e = e2;
            }
          }
          failures.push(`${name}: ${firstLine(e)}`);
          log(`${name}: FAILED ${firstLine(e)}`);
          if (!driver || driver.exited) {
            try {
              await startDriver();
            } catch (e3) {
              failures.push(`driver: ${firstLine(e3)}`);
              return;
            }
          }
          return;
        }
      }
    };

    if (m.has('enqueue_one')) {
      await measure('enqueue_one', async (out) => {
        await driver.call('setup');
        const r = await driver.call('enqueueOneTimed', { n: opts.n, maxSeconds: opts.maxSeconds, warmup: Math.min(200, Math.ceil(opts.n / 10)) });
        const v = r.count / (r.ms / 1000);
        const partial = r.count < opts.n;
        out('enqueue_one', r.count, 1, v, 'jobs/s', partial ? { partial: true } : {});
        log(`enqueue_one      ${fmt(v)} jobs/s (${r.count} in ${(r.ms / 1000).toFixed(2)} s)${partial ? ' [time cap]' : ''}`);
      });
    }

    if (m.has('enqueue_bulk')) {
      await measure('enqueue_bulk', async (out) => {
        await driver.call('setup');
        const r = await driver.call('enqueueBulkTimed', { n: opts.n, batch: opts.batch, maxSeconds: opts.maxSeconds, warmup: Math.min(opts.batch, opts.n) });
        const v = r.count / (r.ms / 1000);
        out('enqueue_bulk', r.count, 1, v, 'jobs/s', { batch: opts.batch });
        log(`enqueue_bulk     ${fmt(v)} jobs/s (${r.count} in ${(r.ms / 1000).toFixed(2)} s, batches of ${opts.batch})`);
      });
    }

    if (m.has('process')) {
      for (const c of opts.c) {
        await measure(`process c=${c}`, (out) => processRun(system, driver, opts, { procs: 1, c }, out, log));
      }
    }
    if (m.has('process_multi')) {
      const c = Math.max(...opts.c);
      await measure(`process ${opts.procs}p`, (out) => processRun(system, driver, opts, { procs: opts.procs, c }, out, log));
    }
    if (m.has('latency') || m.has('rss_idle')) {
      await measure('latency', (out) => idleRun(system, driver, opts, m, out, log), { repeat: 1 });
    }
    if (m.has('rss_100k')) {
      await measure('rss_100k', (out) => rssRun(system, driver, opts, out, log), { repeat: 1 });
    }
    if (m.has('keyed')) {
      if (!system.keyed) log(`keyed            not measured: no unique tasks in ${system.name}`);
      else {
        await measure('keyed', async (out) => {
          await driver.call('setup');
          const r = await driver.call('enqueueKeyedTimed', { n: opts.n, maxSeconds: opts.maxSeconds, warmup: Math.min(200, Math.ceil(opts.n / 10)) });
          const plain = r.plain.count / (r.plain.ms / 1000);
          const keyed = r.keyed.count / (r.keyed.ms / 1000);
          out('keyed_plain', r.plain.count, 1, plain, 'jobs/s', {});
          out('keyed', r.keyed.count, 1, keyed, 'jobs/s', { ratio: keyed / plain });
          log(`keyed            ${fmt(keyed)} jobs/s with a key, ${fmt(plain)} plain (${(keyed / plain).toFixed(2)}×)`);
        });
      }
    }
    for (const kind of ['chord', 'chain']) {
      if (!m.has(kind)) continue;
      // Only some systems have workflows; for the others the metric does not apply (not a failure).
      if (!system.workflows) log(`${kind.padEnd(16)} not measured: no workflows in ${system.name}`);
      else await measure(kind, (out) => workflowRun(system, driver, opts, kind, out, log));
    }
    if (m.has('limited')) {
      if (!system.limits) log(`${'limited'.padEnd(16)} not measured: no queue limits in ${system.name}`);
      else await measure('limited', (out) => limitedRun(system, driver, opts, out, log));
    }
    return { failures, recoveries };
  } finally {
    if (driver) await driver.close();
  }
}

/** Polls the server until it answers (or `timeoutMs` passes). */
async function waitForServer(server, timeoutMs) {
  if (!server) return;
  const config = require('./config');
  const cfg = config.load();
  const until = now() + timeoutMs;
  let last = null;
  while (now() < until) {
    try {
      await config.ping(server, cfg);
      await sleep(1000); // let it settle (a restart accepts connections before it is fully up)
      await config.ping(server, cfg);
      return;
    } catch (e) {
      last = e;
      await sleep(1000);
    }
  }
  throw new Error(`${server} did not come back within ${timeoutMs / 1000} s: ${last && last.message}`);
}

async function startWorkers(system, opts, procs) {
  const workers = [];
  for (let p = 0; p < procs; p++) workers.push(new Agent(`${system.id}/worker${p + 1}`));
  try {
    await Promise.all(workers.map((w) => w.call('init', { system, role: 'worker', pollMs: opts.pollMs }, 120_000)));
  } catch (e) {
    await Promise.all(workers.map((w) => w.close()));
    throw e;
  }
  return workers;
}

/**
 * Sums the workers' counters until `target` jobs have been handled, `deadline` passes, every
 * worker's loop has ended by itself (a drain that stopped short), or nothing moved for `stallMs`.
 */
async function waitForCount(workers, target, deadline, stallMs = 10_000) {
  let lastCount = -1;
  let lastMove = now();
  for (;;) {
    const stats = await Promise.all(workers.map((w) => w.call('stats', {}, 30_000)));
    const errors = stats.flatMap((s) => s.errors);
    if (errors.length) throw new Error(`worker error: ${errors[0]}`);
    const count = stats.reduce((a, s) => a + s.count, 0);
    if (count !== lastCount) {
      lastCount = count;
      lastMove = now();
    }
    const allFinished = stats.every((s) => s.finished);
    const mark = stats.map((s) => s.mark).find(Boolean) || null;
    const stalled = now() - lastMove > stallMs;
    if (count >= target || now() > deadline || allFinished || stalled) {
      return {
        count,
        first: count ? Math.min(...stats.filter((s) => s.count).map((s) => s.first)) : 0,
        last: Math.max(...stats.map((s) => s.last)),
        rss: stats.map((s) => s.rss),
        mark,
        valuesMs: stats.reduce((a, s) => a + (s.valuesMs || 0), 0),
        timedOut: count < target,
        why: count >= target ? 'done' : allFinished ? 'finished' : stalled ? 'stalled' : 'deadline',
      };
    }
    await sleep(20);
  }
}

function shortfall(r, target, seconds, stallMs = 10_000) {
  if (r.why === 'finished') return `every worker's run() returned after ${r.count} of ${target} jobs`;
  if (r.why === 'stalled') return `no progress for ${stallMs / 1000} s (${r.count} of ${target} jobs handled)`;
  return `no job was processed within ${seconds} s`;
}

async function processRun(system, driver, opts, { procs, c }, rowOut, log) {
  await driver.call('setup');
  await driver.call('fill', { n: opts.n, batch: opts.batch });
  const workers = await startWorkers(system, opts, procs);
  try {
    const go = now();
    await Promise.all(workers.map((w) => w.call('startWorker', { concurrency: c, mode: 'drain' })));
    const r = await waitForCount(workers, opts.n, go + opts.maxSeconds * 1000);
    if (!r.count || r.why === 'finished' || r.why === 'stalled') throw new Error(shortfall(r, opts.n, opts.maxSeconds));
    const seconds = (r.last - go) / 1000;
    const v = r.count / seconds;
    const extra = { procs, firstJobMs: Math.round((r.first - go) * 10) / 10 };
    if (r.timedOut) extra.partial = true;
    if (r.count > opts.n) extra.duplicates = r.count - opts.n;
    let left = null;
    if (!r.timedOut) {
      // The handlers all ran; the last acknowledgements may still be in flight. Verify that
      // the queue really ends empty (nothing lost, nothing stuck).
      const until = now() + 10_000;
      do {
        left = await driver.call('pending');
        if (left === null || left === 0) break;
        await sleep(50);
      } while (now() < until);
      if (left) extra.leftPending = left;
    }
    const metric = procs > 1 ? 'process_multi' : 'process';
    rowOut(metric, r.count, c, v, 'jobs/s', extra);
    log(
      `${(procs > 1 ? `process ${procs}p c=${c}` : `process c=${c}`).padEnd(16)} ${fmt(v)} jobs/s (${r.count} in ${seconds.toFixed(2)} s, first job after ${extra.firstJobMs} ms)` +
        `${r.timedOut ? ' [time cap]' : ''}${left ? ` [${left} still pending after 10 s]` : ''}${extra.duplicates ? ` [${extra.duplicates} duplicates]` : ''}`,
    );
  } finally {
    await Promise.all(workers.map((w) => w.close()));
  }
}

async function idleRun(system, driver, opts, m, rowOut, log) {
  await driver.call('setup');
  const [w] = await startWorkers(system, opts, 1);
  try {
    const c = Math.max(...opts.c);
    await w.call('startWorker', { concurrency: c, mode: 'idle' });
    await sleep(opts.idleMs);
    const { rss } = await w.call('rss');
    if (m.has('rss_idle')) {
      rowOut('rss_idle', 0, c, mb(rss), 'MB');
      log(`rss_idle         ${mb(rss)} MB`);
    }
    if (!m.has('latency')) return;
    const total = opts.latencyWarmup + opts.latencyN;
    const produced = driver.call('produceLatency', { count: opts.latencyN, warmup: opts.latencyWarmup, gapMin: opts.gapMin, gapMax: opts.gapMax });
    await produced;
    const r = await waitForCount([w], total, now() + 30_000, 5_000);
    const samples = await w.call('samples');
    if (!samples.length) throw new Error(`no latency sample arrived (${shortfall(r, total, 30, 5_000)})`);
    const extra = r.timedOut ? { partial: true } : {};
    for (const p of [50, 95, 99]) rowOut(`latency_p${p}`, samples.length, c, percentile(samples, p), 'ms', extra);
    log(
      `latency          p50 ${percentile(samples, 50).toFixed(1)} / p95 ${percentile(samples, 95).toFixed(1)} / p99 ${percentile(samples, 99).toFixed(1)} ms` +
        ` (${samples.length} samples${r.timedOut ? `, only ${r.count}/${total} arrived` : ''})`,
    );
  } finally {
    await w.close();
  }
}

async function rssRun(system, driver, opts, rowOut, log) {
  await driver.call('setup');
  await driver.call('fill', { n: opts.rssN, batch: opts.batch });
  const [w] = await startWorkers(system, opts, 1);
  try {
    const c = Math.max(...opts.c);
    const go = now();
    await w.call('startWorker', { concurrency: c, mode: 'drain' });
    const r = await waitForCount([w], opts.rssN, go + opts.rssMaxSeconds * 1000);
    if (!r.count || r.why === 'finished' || r.why === 'stalled') throw new Error(shortfall(r, opts.rssN, opts.rssMaxSeconds));
    const { rss } = await w.call('rss');
    rowOut('rss_100k', r.count, c, mb(rss), 'MB', r.timedOut ? { partial: true } : {});
    log(`rss after ${r.count} jobs: ${mb(rss)} MB (${((r.last - go) / 1000).toFixed(1)} s)${r.timedOut ? ' [time cap]' : ''}`);
  } finally {
    await w.close();
  }
}

/**
 * chord / chain: one long-running worker process at the largest c sits idle for --idle-ms, so
 * its start-up is out of the measurement. Then the driver stores the whole workflow in one call
 * (chord: --chord-n members and a callback; chain: --chain-n steps). The metric runs from the
 * start of that call to the start of the job that ends the workflow (the chord's callback, the
 * chain's last step), both read on the same monotonic clock in two processes.
 */
async function workflowRun(system, driver, opts, kind, rowOut, log) {
  const n = kind === 'chord' ? opts.chordN : opts.chainN;
  const total = kind === 'chord' ? n + 1 : n; // jobs that run: the members and the callback, or the steps
  // What the ending job must have received: all n member values, or the index of the step before it.
  const expected = kind === 'chord' ? n : n - 2;
  const c = Math.max(...opts.c);
  await driver.call('setup');
  const [w] = await startWorkers(system, opts, 1);
  try {
    await w.call('startWorker', { concurrency: c, mode: 'idle' });
    await sleep(opts.idleMs);
    const cap = opts.workflowMaxSeconds * 1000;
    const e = await driver.call('enqueueWorkflow', { kind, n }, cap + 60_000);
    const r = await waitForCount([w], total, e.start + cap, 30_000);
    if (!r.mark || r.count < total) {
      const why = r.why === 'deadline' ? `not done within --workflow-max-seconds ${opts.workflowMaxSeconds}` : r.why === 'stalled' ? 'no progress for 30 s' : r.why;
      throw new Error(`${why}: ${r.count} of ${total} jobs ran${r.mark ? '' : `, the ${kind === 'chord' ? 'callback' : 'last step'} did not start`}`);
    }
    if (r.mark.received !== expected) {
      throw new Error(`the ${kind === 'chord' ? 'callback received' : 'last step received'} ${JSON.stringify(r.mark.received)}, expected ${expected}`);
    }
    const ms = r.mark.at - e.start;
    const extra = { firstJobMs: Math.round((r.first - e.start) * 10) / 10, valuesMs: Math.round(r.valuesMs * 10) / 10 };
    if (r.count > total) extra.duplicates = r.count - total;
    rowOut(`${kind}_enqueue`, n, c, e.ms, 'ms');
    rowOut(kind, n, c, ms, 'ms', extra);
    const ending = kind === 'chord' ? 'callback start' : 'last step start';
    log(
      `${`${kind} n=${n}`.padEnd(16)} enqueue → ${ending} ${(ms / 1000).toFixed(2)} s (enqueue ${(e.ms / 1000).toFixed(2)} s, first job after ${extra.firstJobMs} ms` +
        `${r.valuesMs ? `, reading values ${(r.valuesMs / 1000).toFixed(2)} s` : ''})${extra.duplicates ? ` [${extra.duplicates} duplicates]` : ''}`,
    );
  } finally {
    await w.close();
  }
}

/**
 * limited: how fast one worker process claims and runs --n no-op jobs of an unlimited queue,
 * alone, then next to a queue it also serves that is saturated (globalConcurrency 2, always
 * more jobs waiting than the limit lets run, the limit held by this worker's own tasks). Same
 * run, same worker settings: the ratio is the cost of the limit to the queues it does not limit.
 */
async function limitedRun(system, driver, opts, rowOut, log) {
  const c = Math.max(...opts.c);
  const rates = {};
  for (const phase of ['alone', 'beside']) {
    await driver.call('setup');
    await driver.call('fill', { n: opts.n, batch: opts.batch });
    if (phase === 'beside') await driver.call('fillLimited', { n: 1000, ms: 100 });
    const [w] = await startWorkers(system, opts, 1);
    try {
      const go = now();
      await w.call('startWorker', { concurrency: c, mode: 'idle', queues: phase === 'alone' ? ['default'] : ['default', 'limited'] });
      const r = await waitForCount([w], opts.n, go + opts.maxSeconds * 1000);
      if (!r.count || r.why === 'finished' || r.why === 'stalled') throw new Error(shortfall(r, opts.n, opts.maxSeconds));
      const seconds = (r.last - go) / 1000;
      rates[phase] = r.count / seconds;
      rowOut(`limited_${phase}`, r.count, c, rates[phase], 'jobs/s', r.timedOut ? { partial: true } : {});
      log(`${`limited ${phase}`.padEnd(16)} ${fmt(rates[phase])} jobs/s of the unlimited queue (${r.count} in ${seconds.toFixed(2)} s)${r.timedOut ? ' [time cap]' : ''}`);
    } finally {
      await w.close();
    }
  }
  log(`${'limited ratio'.padEnd(16)} ${(rates.beside / rates.alone).toFixed(2)}× (beside a saturated limited queue / alone)`);
}

function fmt(v) {
  if (!Number.isFinite(v)) return '-';
  if (v >= 100) return Math.round(v).toLocaleString('en-US');
  return v.toFixed(1);
}

module.exports = { benchSystem, killAll, Agent, fmt };
