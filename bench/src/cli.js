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
const { now } = require('./util');

const ALL_METRICS = ['enqueue_one', 'enqueue_bulk', 'process', 'process_multi', 'latency', 'rss_idle', 'rss_100k'];
const DEFAULT_METRICS = ALL_METRICS.filter((m) => m !== 'rss_100k');

const DEFAULTS = {
  n: 5000,
  c: '1,10',
  procs: 4,
  systems: 'all',
  metrics: 'default',
  batch: 1000,
  latencyN: 200,
  latencyWarmup: 20,
  gapMs: '5,25',
  pollMs: 50,
  maxSeconds: 30,
  idleMs: 1000,
  rssN: 100000,
  rssMaxSeconds: 600,
  pgbossBatch: 50,
  out: path.join(config.BENCH_DIR, 'results'),
};

const HELP = `Usage: npm run bench -- [flags]     (or: bash bench/run.sh [flags])

  --n N               jobs per metric (default ${DEFAULTS.n})
  --c LIST            worker concurrencies for the one-process metric (default ${DEFAULTS.c});
                      the largest is also used for --procs, latency and RSS
  --procs P           worker processes for process_multi (default ${DEFAULTS.procs})
  --systems LIST      which systems (default all): ids like bullmq:redis, names (nestjs-tasks,
                      raw-sql, pg-boss, graphile-worker, bullmq), databases (sqlite, postgres,
                      mysql, redis) or adapter files (raw-sqlite, bullmq-postgres, pgboss, ...)
  --metrics LIST      ${ALL_METRICS.join(',')}
                      (default: all but rss_100k; 'all' for every one)
  --batch B           jobs per bulk-enqueue call (default ${DEFAULTS.batch})
  --latency-n L       latency samples (default ${DEFAULTS.latencyN}), after --latency-warmup ${DEFAULTS.latencyWarmup}
  --gap-ms A,B        random pause between latency enqueues, ms (default ${DEFAULTS.gapMs})
  --poll-ms MS        poll interval for systems that poll (nestjs-tasks, raw-sql; pg-boss at
                      least 500) (default ${DEFAULTS.pollMs})
  --max-seconds S     time cap per timed phase; a capped result is marked * (default ${DEFAULTS.maxSeconds})
  --idle-ms MS        how long the idle worker sits before RSS/latency (default ${DEFAULTS.idleMs})
  --rss-n N           jobs for rss_100k (default ${DEFAULTS.rssN}), capped by --rss-max-seconds ${DEFAULTS.rssMaxSeconds}
  --pgboss-batch B    pg-boss work() batchSize (default ${DEFAULTS.pgbossBatch})
  --out DIR           results folder (default bench/results)
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
  if (o.n < 1 || o.procs < 1 || o.batch < 1) throw new Error('--n, --procs and --batch must be at least 1');
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
  console.log(`nestjs-tasks bench · run ${runId}`);
  console.log(`  n=${opts.n} c=${opts.c.join(',')} procs=${opts.procs} metrics=${opts.metrics.join(',')} poll=${opts.pollMs}ms`);
  const servers = await config.ensureServers(cfg);
  console.log(`  servers: ${['postgres', 'mysql', 'redis'].map((s) => `${s}=${servers[s] === true ? servers.versions[s] : 'DOWN'}`).join(' ')} sqlite=${servers.versions.sqlite}`);

  fs.mkdirSync(opts.out, { recursive: true });
  const jsonlPath = path.join(opts.out, `${runId}.jsonl`);
  const jsonl = fs.openSync(jsonlPath, 'w');
  const rows = [];
  const skipped = [];
  const failed = [];
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
    const r = await benchSystem(system, { ...opts, pollMs: opts.pollMs }, emit);
    if (r.skipped) {
      skipped.push({ id: system.id, reason: r.skipped });
      console.log(`  skipped: ${r.skipped}`);
    } else {
      for (const f of r.failures) failed.push({ id: system.id, reason: f });
      console.log(`  (${((now() - ts) / 1000).toFixed(1)} s)`);
    }
  }
  fs.closeSync(jsonl);
  const elapsed = (now() - t0) / 1000;

  const versions = {
    node: process.version,
    bullmq: libVersion('bullmq'),
    'pg-boss': libVersion('pg-boss'),
    'graphile-worker': libVersion('graphile-worker'),
    'nestjs-tasks': (() => {
      try {
        return require(path.join(config.ROOT_DIR, 'package.json')).version;
      } catch (e) {
        return null;
      }
    })(),
    ...Object.fromEntries(Object.entries(servers.versions).map(([k, v]) => [k === 'mysql' ? 'mariadb/mysql' : k, v])),
  };
  const machine = `${os.cpus().length} cores (${(os.cpus()[0] || {}).model || '?'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB`;

  console.log('');
  if (rows.length) {
    const t = report.table(rows);
    console.log(report.textTable(t));
    const ratio = report.ratios(rows);
    if (ratio.body.length) {
      console.log('\nraw-SQL baseline ÷ system, same database (how many times faster plain SQL is):');
      console.log(report.textTable(ratio));
    }
  }
  for (const s of skipped) console.log(`skipped ${s.id}: ${s.reason}`);
  for (const f of failed) console.log(`FAILED ${f.id} ${f.reason}`);
  console.log(`\nwrote ${path.relative(process.cwd(), jsonlPath)}; whole run ${elapsed.toFixed(0)} s`);

  if (rows.length) {
    const subtitle = `n=${opts.n} no-op jobs · one worker process at c=${opts.c.join('/')} and ${opts.procs} processes at c=${Math.max(...opts.c)} · latency with an idle worker · ${machine} · ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
    const svgText = report.svg(rows, { title: 'nestjs-tasks vs. peers — background jobs, same machine, same servers', subtitle });
    fs.writeFileSync(path.join(opts.out, 'latest.svg'), svgText);
    fs.writeFileSync(path.join(opts.out, 'latest.md'), markdown({ rows, opts, runId, started, elapsed, versions, machine, skipped, failed, jsonlPath }));
    console.log(`wrote ${path.relative(process.cwd(), path.join(opts.out, 'latest.md'))} and latest.svg`);
  }
  if (failed.length) process.exitCode = 1;
}

function markdown({ rows, opts, runId, started, elapsed, versions, machine, skipped, failed, jsonlPath }) {
  const lines = [];
  lines.push('# Benchmark results (latest run)');
  lines.push('');
  lines.push(`Run \`${runId}\` on ${started.toISOString().slice(0, 19).replace('T', ' ')} UTC, ${elapsed.toFixed(0)} s in all. ${machine}.`);
  lines.push(`Versions: ${Object.entries(versions).filter(([, v]) => v).map(([k, v]) => `${k} ${v}`).join(', ')}.`);
  lines.push('');
  lines.push(`Settings: \`--n ${opts.n} --c ${opts.c.join(',')} --procs ${opts.procs} --batch ${opts.batch} --latency-n ${opts.latencyN} --poll-ms ${opts.pollMs} --max-seconds ${opts.maxSeconds}\` ` +
    `(metrics: ${opts.metrics.join(', ')}). Raw rows: \`${path.basename(jsonlPath)}\`. What each column means: [README](../README.md#metrics).`);
  lines.push('');
  lines.push('![chart](latest.svg)');
  lines.push('');
  lines.push(report.mdTable(report.table(rows)));
  lines.push('');
  lines.push('`*` stopped at the time cap (`--max-seconds`): the rate is what was done in that time. `!` jobs were still pending 10 s after all handlers ran.');
  const ratio = report.ratios(rows);
  if (ratio.body.length) {
    lines.push('');
    lines.push('## Overhead against the raw-SQL baseline');
    lines.push('');
    lines.push('Raw-SQL throughput divided by the system\'s, on the same database (2.0× = plain SQL does twice as many jobs per second).');
    lines.push('');
    lines.push(report.mdTable(ratio));
  }
  if (skipped.length || failed.length) {
    lines.push('');
    lines.push('## Not measured');
    lines.push('');
    for (const s of skipped) lines.push(`- \`${s.id}\` skipped: ${s.reason}`);
    for (const f of failed) lines.push(`- \`${f.id}\` failed: ${f.reason}`);
  }
  lines.push('');
  return lines.join('\n');
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
