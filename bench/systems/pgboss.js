'use strict';
// pg-boss 10 on PostgreSQL (schema pgboss_bench in the bench database).
//
// pg-boss 10 has no per-worker concurrency knob: a work() registration is one polling loop that
// fetches up to `batchSize` jobs, hands them to the handler as an array, completes them, and then
// sleeps (pollingInterval - time spent) whenever that is over 100 ms, even if jobs were found.
// The polling interval cannot go below 500 ms. So "concurrency c" here is c work() loops, each
// with batchSize PGBOSS_BATCH (default 50, like the raw baseline's claim batch):
// at most c × 50 jobs per 0.5 s per process.
const PgBoss = require('pg-boss');

const QUEUE = 'noop';
const SCHEMA = 'pgboss_bench';

module.exports = {
  name: 'pg-boss',
  async create(ctx) {
    const c = ctx.cfg.postgres;
    const batchSize = Number(ctx.extra.pgbossBatch || process.env.PGBOSS_BATCH || 50);
    const pollingIntervalSeconds = Math.max(0.5, ctx.pollMs / 1000);
    const isWorker = ctx.role === 'worker';
    const options = {
      host: c.host,
      port: c.port,
      user: c.user,
      password: c.password,
      database: c.database,
      schema: SCHEMA,
      max: 10,
      schedule: false,
      supervise: !isWorker,
      migrate: !isWorker,
    };
    const open = async () => {
      const b = new PgBoss(options);
      b.on('error', (e) => ctx.log('pg-boss error:', e.message));
      await b.start();
      return b;
    };
    let boss = await open();
    return {
      info: { batchSize, pollingIntervalSeconds },
      async setup() {
        // deleteQueue() trips over pg-boss's own foreign key once jobs exist, so start from an
        // empty schema instead: stop, drop the schema, start (which migrates) and create the queue.
        await boss.stop({ graceful: false, wait: true });
        const { Client } = require('pg');
        const admin = new Client({ host: c.host, port: c.port, user: c.user, password: c.password, database: c.database });
        await admin.connect();
        try {
          await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
        } finally {
          await admin.end();
        }
        boss = await open();
        await boss.createQueue(QUEUE);
      },
      async enqueueOne(payload) {
        await boss.send(QUEUE, payload);
      },
      async enqueueBulk(payloads) {
        await boss.insert(payloads.map((data) => ({ name: QUEUE, data })));
      },
      async pending() {
        return boss.getQueueSize(QUEUE, { before: 'completed' });
      },
      async startWorker({ concurrency, onJob }) {
        const handler = async (jobs) => {
          for (const job of jobs) onJob(job.data);
        };
        for (let k = 0; k < concurrency; k++) {
          await boss.work(QUEUE, { batchSize, pollingIntervalSeconds }, handler);
        }
        return {
          async stop() {
            await boss.offWork(QUEUE);
          },
        };
      },
      async teardown() {
        await boss.stop({ graceful: true, wait: true, timeout: 5000 });
      },
    };
  },
};
