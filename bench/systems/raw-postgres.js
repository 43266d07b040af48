'use strict';
// Raw-SQL baseline on PostgreSQL: one table, a batch claim with FOR UPDATE SKIP LOCKED and a
// batch complete, through plain node-postgres. No framework: the floor for the PostgreSQL rows.
const { Pool } = require('pg');
const { startRawLoop } = require('../src/raw-loop');

const TABLE = 'bench_raw_jobs';

module.exports = {
  name: 'raw-sql',
  async create(ctx) {
    const c = ctx.cfg.postgres;
    const pool = new Pool({ host: c.host, port: c.port, user: c.user, password: c.password, database: c.database, max: 4 });
    pool.on('error', (e) => ctx.log('pool error', e.message));
    const parse = (p) => (typeof p === 'string' ? JSON.parse(p) : p);
    return {
      async setup() {
        await pool.query(`DROP TABLE IF EXISTS ${TABLE}`);
        await pool.query(`CREATE TABLE ${TABLE} (
          id bigserial PRIMARY KEY,
          status smallint NOT NULL DEFAULT 0,
          payload jsonb NOT NULL,
          run_after timestamptz NOT NULL DEFAULT now(),
          started_at timestamptz,
          finished_at timestamptz)`);
        await pool.query(`CREATE INDEX ${TABLE}_ready ON ${TABLE} (status, id)`);
      },
      async enqueueOne(payload) {
        await pool.query(`INSERT INTO ${TABLE} (payload) VALUES ($1)`, [JSON.stringify(payload)]);
      },
      async enqueueBulk(payloads) {
        await pool.query(`INSERT INTO ${TABLE} (payload) SELECT * FROM unnest($1::jsonb[])`, [payloads.map((p) => JSON.stringify(p))]);
      },
      async pending() {
        const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${TABLE} WHERE status <> 2`);
        return rows[0].n;
      },
      async startWorker({ concurrency, onJob }) {
        return startRawLoop({
          concurrency,
          pollMs: ctx.pollMs,
          onJob,
          onError: (e) => ctx.log(e.message),
          claim: async (limit) =>
            (
              await pool.query(
                `UPDATE ${TABLE} j SET status = 1, started_at = now()
                   FROM (SELECT id FROM ${TABLE} WHERE status = 0 AND run_after <= now()
                          ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) c
                  WHERE j.id = c.id RETURNING j.id, j.payload`,
                [limit],
              )
            ).rows.map((r) => ({ id: r.id, payload: parse(r.payload) })),
          complete: (ids) => pool.query(`UPDATE ${TABLE} SET status = 2, finished_at = now() WHERE id = ANY($1::bigint[])`, [ids]),
        });
      },
      async teardown() {
        await pool.end();
      },
    };
  },
};
