'use strict';
// nestjs-tasks itself, on SQLite (better-sqlite3, WAL), PostgreSQL or MySQL/MariaDB, through
// its public API only: a Nest application context with TypeOrmModule + TasksModule, a provider
// with one @Task() no-op method, TaskService.enqueue / enqueueMany, and TaskWorker.run().
//
// The library is loaded from the root package's build (../.. → package.json main →
// dist/src/index.js) and Nest/TypeORM from the root's node_modules, so the adapter uses the
// very same module instances as the library. No TypeScript: decorators are applied by hand.
const path = require('path');
const fs = require('fs');
const { createRequire } = require('module');
const config = require('../src/config');

const ROOT = config.ROOT_DIR;
const ENTRY = path.join(ROOT, 'dist', 'src', 'index.js');
const NEEDED = ['TasksModule', 'TaskService', 'TaskWorker', 'Task', 'TaskResult', 'TASKS_MIGRATIONS'];

// The handler forwards to whatever the agent installed for this process.
let onJobHook = () => {};

function loadLibrary() {
  if (!fs.existsSync(ENTRY)) {
    throw new Error(`nestjs-tasks is not built (${path.relative(process.cwd(), ENTRY) || ENTRY} missing; run \`npm run build\` in the root), skipped`);
  }
  const rootRequire = createRequire(path.join(ROOT, 'package.json'));
  rootRequire('reflect-metadata');
  let lib;
  try {
    lib = rootRequire(ROOT);
  } catch (e) {
    throw new Error(`nestjs-tasks build at ${ENTRY} does not load: ${e.message.split('\n')[0]}`);
  }
  const missing = NEEDED.filter((k) => lib[k] === undefined);
  if (missing.length) throw new Error(`nestjs-tasks build does not export ${missing.join(', ')} yet, skipped`);
  return {
    lib,
    common: rootRequire('@nestjs/common'),
    core: rootRequire('@nestjs/core'),
    typeormNest: rootRequire('@nestjs/typeorm'),
    typeorm: rootRequire('typeorm'),
  };
}

function typeormOptions(ctx, lib) {
  const shared = {
    entities: [lib.TaskResult],
    migrations: lib.TASKS_MIGRATIONS,
    // Only the driver migrates (once, before any worker exists); workers just connect.
    migrationsRun: ctx.role === 'driver',
    synchronize: false,
    logging: false,
  };
  if (ctx.db === 'sqlite') {
    fs.mkdirSync(ctx.cfg.dataDir, { recursive: true });
    return { type: 'better-sqlite3', database: path.join(ctx.cfg.dataDir, 'nestjs-tasks.sqlite'), enableWAL: true, ...shared };
  }
  if (ctx.db === 'postgres') {
    const c = ctx.cfg.postgres;
    return { type: 'postgres', host: c.host, port: c.port, username: c.user, password: c.password, database: c.database, ...shared };
  }
  if (ctx.db === 'mysql') {
    const c = ctx.cfg.mysql;
    return { type: 'mysql', host: c.host, port: c.port, username: c.user, password: c.password, database: c.database, ...shared };
  }
  throw new Error(`nestjs-tasks adapter: unknown db ${ctx.db}`);
}

/** A Nest LoggerService that prints the first 3 errors/warnings of a process, then only counts. */
function quietLogger(ctx) {
  let shown = 0;
  let hidden = 0;
  const report = (level, message, context) => {
    if (shown < 3) {
      shown++;
      ctx.log(`${level}${context ? ` [${context}]` : ''}: ${message}`);
    } else if (++hidden === 1) {
      ctx.log('(more library errors hidden; BENCH_NEST_LOG=1 shows them)');
    }
  };
  const noop = () => {};
  return {
    log: noop,
    debug: noop,
    verbose: noop,
    fatal: (m, ...rest) => report('fatal', m, rest[rest.length - 1]),
    error: (m, ...rest) => report('error', m, rest[rest.length - 1]),
    warn: (m, ...rest) => report('warn', m, rest[rest.length - 1]),
  };
}

module.exports = {
  name: 'nestjs-tasks',
  loadLibrary,
  async create(ctx) {
    const { lib, common, core, typeormNest, typeorm } = loadLibrary();
    const { Injectable, Module } = common;

    class NoopTasks {
      async noop(payload) {
        onJobHook(payload);
        return null;
      }

      // Workflow metrics (chord, chain). A chord member returns a small value ...
      async member(i) {
        onJobHook(null);
        return i;
      }

      // ... and the chord's callback, a pipe() step, receives all of them, in order.
      async collect(values) {
        onJobHook({ mark: 1, received: Array.isArray(values) ? values.length : -1 });
        return null;
      }

      // The limited metric: holds a slot of the limited queue, reporting nothing (only the
      // unlimited queue's jobs are counted).
      async hold(ms) {
        await new Promise((resolve) => setTimeout(resolve, ms));
        return null;
      }

      // A chain step: a pipe() of the previous step, which returned its index. The last step
      // reports what it received, so the runner can check the values went through.
      async step(previous, i, last) {
        onJobHook(i === last ? { mark: 1, received: previous } : null);
        return i;
      }
    }
    Injectable()(NoopTasks);
    const paramtypes = { noop: [Object], member: [Number], collect: [Array], step: [Number, Number, Number], hold: [Number] };
    for (const [method, types] of Object.entries(paramtypes)) {
      Reflect.defineMetadata('design:paramtypes', types, NoopTasks.prototype, method);
      Reflect.defineMetadata('design:returntype', Promise, NoopTasks.prototype, method);
      const desc = Object.getOwnPropertyDescriptor(NoopTasks.prototype, method);
      const decorated = lib.Task()(NoopTasks.prototype, method, desc);
      if (decorated) Object.defineProperty(NoopTasks.prototype, method, decorated);
    }

    // A build without queue limits takes `queues` as an array only.
    const hasLimits = typeof lib.QueueLimits1765238400000 === 'function';
    class BenchModule {}
    Module({
      // The limited queue is served only by the limited metric's worker; the others serve 'default'.
      imports: [typeormNest.TypeOrmModule.forRoot(typeormOptions(ctx, lib)), lib.TasksModule.forRoot(hasLimits ? { queues: { default: {}, limited: { globalConcurrency: 2 } } } : {})],
      providers: [NoopTasks],
    })(BenchModule);

    // The library's first few errors (a failing claim, say) go to stderr, the rest are counted;
    // BENCH_NEST_LOG=1 shows every log line (worker start/stop too).
    const logger = process.env.BENCH_NEST_LOG ? ['log', 'error', 'warn'] : quietLogger(ctx);
    const app = await core.NestFactory.createApplicationContext(BenchModule, { logger });
    const tasks = app.get(lib.TaskService);
    const dataSource = app.get(typeorm.DataSource);
    const repo = dataSource.getRepository(lib.TaskResult);
    const S = lib.TaskResultStatus || { READY: 'READY', RUNNING: 'RUNNING' };

    // Workflows store their edges in task_dependencies (a build without workflows has no such table).
    const hasWorkflows = typeof lib.call === 'function' && typeof lib.pipe === 'function';

    return {
      async setup() {
        await repo.clear();
        if (hasWorkflows) await dataSource.query(ctx.db === 'sqlite' ? 'DELETE FROM task_dependencies' : 'TRUNCATE TABLE task_dependencies');
      },
      async enqueueOne(payload) {
        await tasks.enqueue(NoopTasks, 'noop', [payload]);
      },
      async enqueueKeyed(payload, key) {
        await tasks.enqueue(NoopTasks, 'noop', [payload], { key });
      },
      async enqueueBulk(payloads) {
        await tasks.enqueueMany(
          NoopTasks,
          'noop',
          payloads.map((p) => [p]),
        );
      },
      /**
       * chord: `n` members and a pipe() callback that receives their values, one group() call.
       * chain: `n` steps, a call() then n − 1 pipe() steps, one chain() call.
       * The calls are built here, untimed; the returned function is the timed enqueue.
       */
      workflow(kind, n) {
        if (!hasWorkflows) throw new Error('this nestjs-tasks build has no workflows (call/pipe)');
        const { call, pipe } = lib;
        if (kind === 'chord') {
          const members = Array.from({ length: n }, (_, i) => call(NoopTasks, 'member', [i]));
          const then = pipe(NoopTasks, 'collect', []);
          return () => tasks.group(members, { then });
        }
        if (kind === 'chain') {
          const steps = [call(NoopTasks, 'step', [-1, 0, n - 1])];
          for (let i = 1; i < n; i++) steps.push(pipe(NoopTasks, 'step', [i, n - 1]));
          return () => tasks.chain(steps);
        }
        throw new Error(`unknown workflow ${kind}`);
      },
      async fillLimited(n, ms) {
        if (!hasLimits) throw new Error('this nestjs-tasks build has no queue limits');
        for (let i = 0; i < n; i += 1000) {
          await tasks.enqueueMany(NoopTasks, 'hold', Array.from({ length: Math.min(1000, n - i) }, () => [ms]), { queueName: 'limited' });
        }
      },
      async pending() {
        return repo.createQueryBuilder('t').where('t.status IN (:...s)', { s: [S.READY, S.RUNNING] }).getCount();
      },
      async startWorker({ concurrency, mode, onJob, queues }) {
        onJobHook = onJob;
        const worker = app.get(lib.TaskWorker);
        // 'drain': the jobs are already queued; batch mode runs what is due and resolves.
        // 'idle': a long-running worker (latency); stop() ends it.
        const options = mode === 'drain' ? { concurrency, batch: true, pollInterval: ctx.pollMs } : { concurrency, pollInterval: ctx.pollMs };
        if (queues) options.queues = queues;
        let finished = false;
        const done = Promise.resolve(worker.run(options)).finally(() => {
          finished = true;
        });
        return {
          done,
          async stop() {
            if (!finished && typeof worker.stop === 'function') await worker.stop();
            await done.catch(() => {});
          },
        };
      },
      async teardown() {
        await app.close();
      },
    };
  },
};
