'use strict';
// Raw-SQL baseline on MySQL/MariaDB (InnoDB): SELECT … FOR UPDATE SKIP LOCKED + UPDATE in one
// transaction to claim a batch (MariaDB has no UPDATE … RETURNING), one UPDATE to complete it.
const mysql = require('mysql2/promise');
const { startRawLoop } = require('../src/raw-loop');

const TABLE = 'bench_raw_jobs';

module.exports = {
  name: 'raw-sql',
  async create(ctx) {
    const c = ctx.cfg.mysql;
    const pool = mysql.createPool({ host: c.host, port: c.port, user: c.user, password: c.password, database: c.database, connectionLimit: 4 });
    const parse = (p) => (typeof p === 'string' ? JSON.parse(p) : p);
    return {
      async setup() {
        await pool.query(`DROP TABLE IF EXISTS ${TABLE}`);
        await pool.query(`CREATE TABLE ${TABLE} (
          id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
          status TINYINT NOT NULL DEFAULT 0,
          payload JSON NOT NULL,
          run_after DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
          started_at DATETIME(6) NULL,
          finished_at DATETIME(6) NULL,
          KEY ${TABLE}_ready (status, id)) ENGINE=InnoDB`);
      },
      async enqueueOne(payload) {
        await pool.execute(`INSERT INTO ${TABLE} (payload) VALUES (?)`, [JSON.stringify(payload)]);
      },
      async enqueueBulk(payloads) {
        await pool.query(`INSERT INTO ${TABLE} (payload) VALUES ?`, [payloads.map((p) => [JSON.stringify(p)])]);
      },
      async pending() {
        const [rows] = await pool.query(`SELECT COUNT(*) AS n FROM ${TABLE} WHERE status <> 2`);
        return Number(rows[0].n);
      },
      async startWorker({ concurrency, onJob }) {
        const conn = await pool.getConnection();
        return startRawLoop({
          concurrency,
          pollMs: ctx.pollMs,
          onJob,
          onError: (e) => ctx.log(e.message),
          claim: async (limit) => {
            await conn.beginTransaction();
            try {
              const [rows] = await conn.query(
                `SELECT id, payload FROM ${TABLE} WHERE status = 0 AND run_after <= NOW(6)
                  ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED`,
                [limit],
              );
              if (rows.length) await conn.query(`UPDATE ${TABLE} SET status = 1, started_at = NOW(6) WHERE id IN (?)`, [rows.map((r) => r.id)]);
              await conn.commit();
              return rows.map((r) => ({ id: r.id, payload: parse(r.payload) }));
            } catch (e) {
              await conn.rollback().catch(() => {});
              throw e;
            }
          },
          complete: (ids) => conn.query(`UPDATE ${TABLE} SET status = 2, finished_at = NOW(6) WHERE id IN (?)`, [ids]),
        });
      },
      async teardown() {
        await pool.end();
      },
    };
  },
};
