#!/usr/bin/env node
'use strict';
// Entry point: `node bench/src/cli.js [flags]` (run.sh does this). See README.md.
const fs = require('fs');
const os = require('os');
const path = require('path');
const config = require('./config');
const { select, SYSTEMS } = require('./systems');
const { benchSystem, killAll } = require('./runner');
const report = require('./report');
const { targetTable } = require('./targets');
const { now } = require('./util');

const ALL_METRICS = ['enqueue_one', 'enqueue_bulk', 'process', 'process_multi', 'latency', 'rss_idle', 'rss_100k', 'chord', 'chain', 'keyed', 'limited'];
// Opt-in: rss_100k (one 100 000-job drain per system) and the workflow metrics (chord, chain),
// which add minutes to a run and apply to nestjs-tasks and BullMQ only.
const OPT_IN = ['rss_100k', 'chord', 'chain', 'keyed', 'limited'];
const DEFAULT_METRICS = ALL_METRICS.filter((m) => !OPT_IN.includes(m));

const DEFAULTS = {
  n: 10000,
  c: '1,10',
  procs: 4,
  systems: 'all',
  metrics: 'default',
  batch: 1000,
  latencyN: 200,
  latencyWarmup: 20,
  gapMs: '5,25',
  pollMs: 50,
  maxSeconds: 20,
  repeat: 1,
  retries: 1,
  idleMs: 1000,
  rssN: 100000,
  rssMaxSeconds: 600,
  pgbossBatch: 50,
  chordN: 10000,
  chainN: 1000,
  workflowMaxSeconds: 300,
  out: path.join(config.BENCH_DIR, 'results'),
};

const HELP = `Usage: npm run bench -- [flags]     (or: bash bench/run.sh [flags])

  --n N               jobs per metric (default ${DEFAULTS.n})
  --c LIST            worker concurrencies for the one-process metric (default ${DEFAULTS.c});
                      the largest is also used for --procs, latency and RSS
  --procs P           worker processes for process_multi (default ${DEFAULTS.procs})
  --systems LIST      which systems (default all): ids like bullmq:redis, names (nestjs-tasks,
                      raw-sql, pg-boss, graphile-worker, bullmq, bare-nest), databases (sqlite, postgres,
                      mysql, redis) or adapter files (raw-sqlite, bullmq-postgres, pgboss, ...)
  --metrics LIST      ${ALL_METRICS.join(',')}
                      (default: all but rss_100k, chord, chain, keyed and limited; 'all' for every one)
  --batch B           jobs per bulk-enqueue call (default ${DEFAULTS.batch})
  --latency-n L       latency samples (default ${DEFAULTS.latencyN}), after --latency-warmup ${DEFAULTS.latencyWarmup}
  --gap-ms A,B        random pause between latency enqueues, ms (default ${DEFAULTS.gapMs})
  --poll-ms MS        poll interval for systems that poll (nestjs-tasks, raw-sql; pg-boss at
                      least 500) (default ${DEFAULTS.pollMs})
  --max-seconds S     time cap per timed phase; a capped result is marked * (default ${DEFAULTS.maxSeconds})
  --repeat R         run every throughput measurement R times, report the median (default 1)
  --retries K        retry a measurement K times when its server went away in the middle
                      (a restart by someone else); default 1
  --idle-ms MS        how long the idle worker sits before RSS/latency/workflows (default ${DEFAULTS.idleMs})
  --rss-n N           jobs for rss_100k (default ${DEFAULTS.rssN}), capped by --rss-max-seconds ${DEFAULTS.rssMaxSeconds}
  --pgboss-batch B    pg-boss work() batchSize (default ${DEFAULTS.pgbossBatch})
  --chord-n N         members of the chord metric (default ${DEFAULTS.chordN}); BullMQ: children of one parent
  --chain-n N         steps of the chain metric (default ${DEFAULTS.chainN}); BullMQ: levels of a nested flow
  --workflow-max-seconds S
                      time cap for one chord or chain; beyond it the metric fails (default ${DEFAULTS.workflowMaxSeconds})
  --out DIR           results folder (default bench/results)
  --report FILE       only redraw latest.md/latest.svg from an earlier results .jsonl
  --list              list the systems and exit
  --help`;

function parseArgs(argv) {
  const o = { ...DEFAULTS };
  const camel = (s) => s.replace(/-([a-z])/g, (_, ch) => ch.toUpperCase());
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    if (a === '--help' || a === '-h') {
      console.log(HELP);
      process.exit(0);
    }
    if (a === '--list') {
      o.list = true;
      continue;
    }
    if (a === '--report') {
      o.report = argv[++i];
      if (!o.report) throw new Error('--report needs a .jsonl file');
      continue;
    }
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    let v;
    if (a.includes('=')) [a, v] = [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)];
    else v = argv[++i];
    const key = camel(a.slice(2));
    if (!(key in DEFAULTS)) throw new Error(`unknown flag ${a} (see --help)`);
    if (v === undefined) throw new Error(`${a} needs a value`);
    o[key] = typeof DEFAULTS[key] === 'number' ? Number(v) : v;
    if (typeof DEFAULTS[key] === 'number' && !(o[key] >= 0)) throw new Error(`${a}: not a number: ${v}`);
  }
  o.c = String(o.c)
    .split(',')
    .map(Number)
    .filter((x) => x > 0);
  if (!o.c.length) throw new Error('--c needs at least one positive number');
  const [gMin, gMax] = String(o.gapMs).split(',').map(Number);
  o.gapMin = gMin;
  o.gapMax = gMax === undefined ? gMin : gMax;
  o.metrics = o.metrics === 'all' ? ALL_METRICS : o.metrics === 'default' ? DEFAULT_METRICS : o.metrics.split(',').map((s) => s.trim());
  const bad = o.metrics.filter((m) => !ALL_METRICS.includes(m));
  if (bad.length) throw new Error(`--metrics: unknown ${bad.join(', ')}; known: ${ALL_METRICS.join(', ')}`);
  if (o.n < 1 || o.procs < 1 || o.batch < 1 || o.repeat < 1) throw new Error('--n, --procs, --batch and --repeat must be at least 1');
  if (!Number.isInteger(o.chordN) || o.chordN < 1) throw new Error('--chord-n must be a whole number, at least 1');
  // A chain of one step is refused by nestjs-tasks (InvalidTaskError) and is no chain in BullMQ either.
  if (!Number.isInteger(o.chainN) || o.chainN < 2) throw new Error('--chain-n must be a whole number, at least 2');
  return o;
}

function libVersion(name) {
  try {
    return require(`${name}/package.json`).version;
  } catch (e) {
    return null;
  }
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`bench: ${e.message}`);
    process.exit(2);
  }
  if (opts.list) {
    for (const s of SYSTEMS) console.log(`${s.id.padEnd(26)} systems/${s.file}.js`);
    return;
  }
  if (opts.report) return redraw(opts);
  let systems;
  try {
    systems = select(opts.systems);
  } catch (e) {
    console.error(`bench: ${e.message}`);
    process.exit(2);
  }

  const cfg = config.load();
  const t0 = now();
  const started = new Date();
  const runId = started.toISOString().replace(/[:.]/g, '-').replace('Z', '');
  const loadBefore = os.loadavg()[0];
  console.log(`nestjs-tasks bench · run ${runId}`);
  const sizes = [opts.metrics.includes('chord') ? ` chord-n=${opts.chordN}` : '', opts.metrics.includes('chain') ? ` chain-n=${opts.chainN}` : ''].join('');
  console.log(`  n=${opts.n}${sizes} c=${opts.c.join(',')} procs=${opts.procs} metrics=${opts.metrics.join(',')} poll=${opts.pollMs}ms repeat=${opts.repeat}`);
  const servers = await config.ensureServers(cfg);
  console.log(`  servers: ${['postgres', 'mysql', 'redis'].map((s) => `${s}=${servers[s] === true ? servers.versions[s] : 'DOWN'}`).join(' ')} sqlite=${servers.versions.sqlite}`);
  console.log(`  load average before: ${loadBefore.toFixed(2)} on ${os.cpus().length} cores`);

  fs.mkdirSync(opts.out, { recursive: true });
  const jsonlPath = path.join(opts.out, `${runId}.jsonl`);
  const jsonl = fs.openSync(jsonlPath, 'w');
  const rows = [];
  const skipped = [];
  const failed = [];
  const retried = [];
  const emit = (row) => {
    const full = { ...row, run: runId };
    rows.push(full);
    fs.writeSync(jsonl, `${JSON.stringify(full)}\n`);
  };

  for (const system of systems) {
    if (system.server && servers[system.server] !== true) {
      skipped.push({ id: system.id, reason: servers[system.server] });
      console.log(`- ${system.id}: skipped (${servers[system.server]})`);
      continue;
    }
    const ts = now();
    console.log(`▶ ${system.id}`);
    const r = await benchSystem(system, opts, emit);
    if (r.skipped) {
      skipped.push({ id: system.id, reason: r.skipped });
      console.log(`  skipped: ${r.skipped}`);
    } else {
      for (const f of r.failures) failed.push({ id: system.id, reason: f });
      for (const f of r.recoveries || []) retried.push({ id: system.id, reason: f });
      console.log(`  (${((now() - ts) / 1000).toFixed(1)} s)`);
    }
  }
  fs.closeSync(jsonl);

  const meta = {
    runId,
    started: started.toISOString(),
    elapsed: (now() - t0) / 1000,
    load: { before: loadBefore, after: os.loadavg()[0] },
    machine: `${os.cpus().length} cores (${(os.cpus()[0] || {}).model || '?'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    versions: {
      node: process.version,
      'nestjs-tasks': (() => {
        try {
          return require(path.join(config.ROOT_DIR, 'package.json')).version;
        } catch (e) {
          return null;
        }
      })(),
      bullmq: libVersion('bullmq'),
      'pg-boss': libVersion('pg-boss'),
      'graphile-worker': libVersion('graphile-worker'),
      ...Object.fromEntries(Object.entries(servers.versions).map(([k, v]) => [k === 'mysql' ? 'mariadb/mysql' : k, v])),
    },
    opts: Object.fromEntries(
      ['n', 'c', 'procs', 'batch', 'metrics', 'latencyN', 'latencyWarmup', 'gapMs', 'pollMs', 'maxSeconds', 'repeat', 'retries', 'idleMs', 'rssN', 'pgbossBatch', 'chordN', 'chainN', 'workflowMaxSeconds'].map((k) => [k, opts[k]]),
    ),
    skipped,
    failed,
    retried,
    jsonl: path.basename(jsonlPath),
  };
  fs.writeFileSync(jsonlPath.replace(/\.jsonl$/, '.meta.json'), `${JSON.stringify(meta, null, 2)}\n`);

  console.log('');
  printTables(rows);
  for (const s of skipped) console.log(`skipped ${s.id}: ${s.reason}`);
  for (const f of failed) console.log(`FAILED ${f.id} ${f.reason}`);
  console.log(`\nwrote ${path.relative(process.cwd(), jsonlPath)}; whole run ${meta.elapsed.toFixed(0)} s (load average ${meta.load.before.toFixed(2)} before, ${meta.load.after.toFixed(2)} after)`);
  if (rows.length) writeReports(rows, meta, opts.out);
  if (failed.length) process.exitCode = 1;
}

function printTables(rows) {
  if (report.mainRows(rows).length) {
    console.log(report.textTable(report.table(rows)));
    const ratio = report.ratios(rows);
    if (ratio.body.length) {
      console.log('\nraw-SQL baseline ÷ system, same database (how many times faster plain SQL is):');
      console.log(report.textTable(ratio));
    }
  }
  if (rows.length) {
    console.log('\ntargets, each from this run (ratios between two rows of it):');
    console.log(report.textTable(targetTable(rows)));
  }
  if (rows.some(report.isKeyed)) {
    console.log('\nunique tasks: enqueue() one at a time, each with a distinct key, against plain enqueue() in the same run:');
    console.log(report.textTable(report.keyedTable(rows)));
  }
  if (rows.some(report.isWorkflow)) {
    console.log('\nworkflows, seconds from the start of the enqueue call:');
    console.log(report.textTable(report.workflowTable(rows)));
    const ratio = report.workflowRatios(rows);
    if (ratio.body.length) {
      console.log("\nBullMQ's time ÷ nestjs-tasks' time (2.0× = nestjs-tasks takes half as long):");
      console.log(report.textTable(ratio));
    }
  }
}

/**
 * latest.md and latest.svg show the main metrics; a run without any (`--metrics chord,chain`)
 * leaves them as they are. The workflow metrics go to workflows.md (and into latest.md too when
 * the run measured both).
 */
function writeReports(rows, meta, outDir) {
  if (rows.some(report.isWorkflow)) {
    fs.writeFileSync(path.join(outDir, 'workflows.md'), workflowMarkdown(rows, meta));
    console.log(`wrote ${path.relative(process.cwd(), path.join(outDir, 'workflows.md'))}`);
  }
  if (!report.mainRows(rows).length) return;
  const o = meta.opts || {};
  const c = Array.isArray(o.c) ? o.c : [o.c];
  const subtitle = o.n
    ? `n=${o.n} no-op jobs · one worker process at c=${c.join('/')} and ${o.procs} processes at c=${Math.max(...c)} · ` +
      `latency with an idle worker · ${meta.machine} · ${String(meta.started).slice(0, 16).replace('T', ' ')} UTC`
    : `run ${meta.runId}`;
  fs.writeFileSync(path.join(outDir, 'latest.svg'), report.svg(rows, { title: 'nestjs-tasks vs. peers: no-op background jobs, same machine, same servers', subtitle }));
  fs.writeFileSync(path.join(outDir, 'latest.md'), markdown(rows, meta));
  console.log(`wrote ${path.relative(process.cwd(), path.join(outDir, 'latest.md'))} and latest.svg`);
}

/** --report FILE.jsonl: rebuild the table, latest.md and latest.svg from saved rows. */
function redraw(opts) {
  const file = path.resolve(opts.report);
  const rows = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
  const metaFile = file.replace(/\.jsonl$/, '.meta.json');
  const meta = fs.existsSync(metaFile)
    ? JSON.parse(fs.readFileSync(metaFile, 'utf8'))
    : { runId: path.basename(file, '.jsonl'), started: '?', elapsed: NaN, load: {}, machine: '?', versions: {}, opts: {}, skipped: [], failed: [], jsonl: path.basename(file) };
  printTables(rows);
  fs.mkdirSync(opts.out, { recursive: true });
  writeReports(rows, meta, opts.out);
}

function markdown(rows, meta) {
  const o = meta.opts || {};
  const c = Array.isArray(o.c) ? o.c : [o.c];
  const lines = [];
  lines.push('# Benchmark results (latest run)');
  lines.push('');
  lines.push(
    `Run \`${meta.runId}\`, ${String(meta.started).slice(0, 19).replace('T', ' ')} UTC, ${Number(meta.elapsed).toFixed(0)} s in all, on ${meta.machine}` +
      (meta.load && meta.load.before !== undefined ? ` (1-minute load average ${meta.load.before.toFixed(2)} before, ${meta.load.after.toFixed(2)} after).` : '.'),
  );
  lines.push(`Versions: ${Object.entries(meta.versions).filter(([, v]) => v).map(([k, v]) => `${k} ${v}`).join(', ')}.`);
  lines.push('');
  lines.push(
    `Settings: \`--n ${o.n} --c ${c.join(',')} --procs ${o.procs} --batch ${o.batch} --latency-n ${o.latencyN} --poll-ms ${o.pollMs} --max-seconds ${o.maxSeconds} --repeat ${o.repeat}\`` +
      ` (metrics: ${(o.metrics || []).join(', ')}). Raw rows: \`${meta.jsonl}\`. What each column means: [bench/README.md](../README.md#metrics).`,
  );
  lines.push('');
  lines.push('![chart](latest.svg)');
  lines.push('');
  lines.push(report.mdTable(report.table(rows)));
  lines.push('');
  lines.push('Throughputs in jobs/s, latencies in ms (enqueue → handler start), RSS of one worker process in MB. `*` stopped at the time cap (`--max-seconds`): the rate is what was done in that time. `!` jobs were still pending 10 s after all handlers had run.');
  const ratio = report.ratios(rows);
  if (ratio.body.length) {
    lines.push('');
    lines.push('## Overhead against the raw-SQL baseline');
    lines.push('');
    lines.push("Raw-SQL throughput divided by the system's, on the same database (2.0× = plain SQL does twice as many jobs per second).");
    lines.push('');
    lines.push(report.mdTable(ratio));
  }
  lines.push('');
  lines.push('## Targets');
  lines.push('');
  lines.push(
    'The performance targets, each computed from this run alone: a ratio between two of its rows, a latency, or the growth of one worker\'s RSS ' +
      '(`rss_100k` − `rss_idle`). "not measured": the run did not include the rows the target needs. See [bench/README.md](../README.md#targets).',
  );
  lines.push('');
  lines.push(report.mdTable(targetTable(rows)));
  if (rows.some(report.isWorkflow)) {
    lines.push('');
    lines.push(...workflowSection(rows, '##'));
  }
  lines.push(...notMeasured(meta));
  lines.push('');
  return lines.join('\n');
}

/** The workflow tables, with a heading of level `h`. */
function workflowSection(rows, h) {
  const lines = [];
  lines.push(`${h} Workflows: chord and chain`);
  lines.push('');
  lines.push(
    'Seconds from the start of the one call that stores the workflow to the start of the job that ends it: a chord\'s callback ' +
      "(BullMQ: the parent of a flow with that many children), a chain's last step (BullMQ: the top parent of a flow nested that many levels deep). " +
      'One worker process, idle when the workflow arrives. What each column means: [bench/README.md](../README.md#workflow-metrics-chord-and-chain).',
  );
  lines.push('');
  lines.push(report.mdTable(report.workflowTable(rows)));
  const ratio = report.workflowRatios(rows);
  if (ratio.body.length) {
    lines.push('');
    lines.push("BullMQ's time divided by nestjs-tasks' time (2.0× = nestjs-tasks takes half as long; below 1× it takes longer).");
    lines.push('');
    lines.push(report.mdTable(ratio));
  }
  return lines;
}

function workflowMarkdown(rows, meta) {
  const o = meta.opts || {};
  const c = Array.isArray(o.c) ? o.c : [o.c];
  const lines = [];
  lines.push('# Workflow benchmark results (latest run)');
  lines.push('');
  lines.push(
    `Run \`${meta.runId}\`, ${String(meta.started).slice(0, 19).replace('T', ' ')} UTC, ${Number(meta.elapsed).toFixed(0)} s in all, on ${meta.machine}` +
      (meta.load && meta.load.before !== undefined ? ` (1-minute load average ${meta.load.before.toFixed(2)} before, ${meta.load.after.toFixed(2)} after).` : '.'),
  );
  lines.push(`Versions: ${Object.entries(meta.versions).filter(([, v]) => v).map(([k, v]) => `${k} ${v}`).join(', ')}.`);
  lines.push('');
  lines.push(
    `Settings: \`--chord-n ${o.chordN} --chain-n ${o.chainN} --c ${Math.max(...c)} --poll-ms ${o.pollMs} --idle-ms ${o.idleMs} --repeat ${o.repeat}\`` +
      ` (metrics: ${(o.metrics || []).join(', ')}). Raw rows: \`${meta.jsonl}\`.`,
  );
  lines.push('');
  lines.push(...workflowSection(rows, '##'));
  lines.push(...notMeasured(meta));
  lines.push('');
  return lines.join('\n');
}

function notMeasured(meta) {
  const lines = [];
  if (meta.skipped.length || meta.failed.length) {
    lines.push('');
    lines.push('## Not measured');
    lines.push('');
    for (const s of meta.skipped) lines.push(`- \`${s.id}\` skipped: ${s.reason}`);
    for (const f of meta.failed) lines.push(`- \`${f.id}\` failed: ${f.reason}`);
  }
  if ((meta.retried || []).length) {
    lines.push('');
    lines.push('## Measurements run again');
    lines.push('');
    lines.push('The server went away in the middle of these (`--retries`); the harness waited for it and measured again:');
    lines.push('');
    for (const r of meta.retried) lines.push(`- \`${r.id}\`: ${r.reason}`);
  }
  return lines;
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    console.error(`\nbench: ${sig}, stopping the child processes`);
    killAll();
    process.exit(130);
  });
}

main().catch((e) => {
  console.error(e);
  killAll();
  process.exit(1);
});
