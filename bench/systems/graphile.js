'use strict';
// graphile-worker 0.16 on PostgreSQL (its own schema graphile_worker in the bench database).
// Enqueue one: workerUtils.addJob(). Bulk: the graphile_worker.add_jobs(job_spec[]) SQL function,
// which is graphile-worker 0.16's batch API (the JS addJobs() helper arrived later).
// Worker: run({ concurrency }) with its default LISTEN/NOTIFY wake-up; default settings otherwise.
const { Pool } = require('pg');
const { run, makeWorkerUtils, Logger } = require('graphile-worker');

const SCHEMA = 'graphile_worker';
const silent = new Logger(() => () => {});

module.exports = {
  name: 'graphile-worker',
  async create(ctx) {
    const c = ctx.cfg.postgres;
    const connectionString = `postgres://${encodeURIComponent(c.user)}${c.password ? `:${encodeURIComponent(c.password)}` : ''}@${c.host}:${c.port}/${c.database}`;
    let pool = null;
    let utils = null;
    if (ctx.role === 'driver') {
      pool = new Pool({ connectionString, max: 4 });
      pool.on('error', (e) => ctx.log('pool error', e.message));
      utils = await makeWorkerUtils({ pgPool: pool, logger: silent });
    }
    return {
      async setup() {
        // Fresh schema every time: drop everything graphile-worker made, migrate again.
        await pool.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
        await utils.migrate();
      },
      async enqueueOne(payload) {
        await utils.addJob('noop', payload);
      },
      async enqueueBulk(payloads) {
        await pool.query(
          `SELECT count(*) FROM ${SCHEMA}.add_jobs(
             array(SELECT json_populate_recordset(null::${SCHEMA}.job_spec, $1::json)))`,
          [JSON.stringify(payloads.map((payload) => ({ identifier: 'noop', payload })))],
        );
      },
      async pending() {
        // Completed jobs are deleted by graphile-worker.
        const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${SCHEMA}._private_jobs`);
        return rows[0].n;
      },
      async startWorker({ concurrency, onJob }) {
        const wpool = new Pool({ connectionString, max: concurrency + 2 });
        wpool.on('error', (e) => ctx.log('pool error', e.message));
        const runner = await run({
          pgPool: wpool,
          concurrency,
          noHandleSignals: true,
          logger: silent,
          taskList: {
            noop: async (payload) => {
              onJob(payload);
            },
          },
        });
        return {
          done: runner.promise,
          async stop() {
            await runner.stop();
            await wpool.end();
          },
        };
      },
      async teardown() {
        if (utils) await utils.release();
        if (pool) await pool.end();
      },
    };
  },
};
