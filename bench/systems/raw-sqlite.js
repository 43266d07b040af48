'use strict';
// Raw-SQL baseline on SQLite through better-sqlite3 in WAL mode: a batch claim with a single
// UPDATE … RETURNING inside BEGIN IMMEDIATE, and a batch complete. Every process opens its own
// connection to the same file (bench/.data/raw.sqlite), as separate worker processes would.
const path = require('path');
const fs = require('fs');
const Database = require('better-sqlite3');
const { startRawLoop } = require('../src/raw-loop');

const TABLE = 'bench_raw_jobs';

module.exports = {
  name: 'raw-sql',
  async create(ctx) {
    fs.mkdirSync(ctx.cfg.dataDir, { recursive: true });
    const file = path.join(ctx.cfg.dataDir, 'raw.sqlite');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    let st = null;
    const prepare = () => {
      st = {
        insert: db.prepare(`INSERT INTO ${TABLE} (payload, run_after) VALUES (?, ?)`),
        claim: db.prepare(
          `UPDATE ${TABLE} SET status = 1, started_at = ?
            WHERE id IN (SELECT id FROM ${TABLE} WHERE status = 0 AND run_after <= ? ORDER BY id LIMIT ?)
            RETURNING id, payload`,
        ),
        complete: db.prepare(`UPDATE ${TABLE} SET status = 2, finished_at = ? WHERE id IN (SELECT value FROM json_each(?))`),
        pending: db.prepare(`SELECT count(*) AS n FROM ${TABLE} WHERE status <> 2`),
      };
    };
    const schema = () => {
      db.exec(`CREATE TABLE IF NOT EXISTS ${TABLE} (
        id INTEGER PRIMARY KEY,
        status INTEGER NOT NULL DEFAULT 0,
        payload TEXT NOT NULL,
        run_after INTEGER NOT NULL,
        started_at INTEGER,
        finished_at INTEGER);
        CREATE INDEX IF NOT EXISTS ${TABLE}_ready ON ${TABLE} (status, id);`);
    };
    if (ctx.role === 'worker') prepare();
    return {
      async setup() {
        st = null;
        db.exec(`DROP TABLE IF EXISTS ${TABLE}`);
        schema();
        db.pragma('wal_checkpoint(TRUNCATE)');
        prepare();
      },
      async enqueueOne(payload) {
        st.insert.run(JSON.stringify(payload), Date.now());
      },
      async enqueueBulk(payloads) {
        const t = Date.now();
        db.transaction(() => {
          for (const p of payloads) st.insert.run(JSON.stringify(p), t);
        }).immediate();
      },
      async pending() {
        return st.pending.get().n;
      },
      async startWorker({ concurrency, onJob }) {
        const claimTx = db.transaction((limit) => {
          const t = Date.now();
          return st.claim.all(t, t, limit);
        });
        const completeTx = db.transaction((ids) => st.complete.run(Date.now(), JSON.stringify(ids)));
        return startRawLoop({
          concurrency,
          pollMs: ctx.pollMs,
          onJob,
          onError: (e) => ctx.log(e.message),
          claim: async (limit) => claimTx.immediate(limit).map((r) => ({ id: r.id, payload: JSON.parse(r.payload) })),
          complete: async (ids) => completeTx.immediate(ids),
        });
      },
      async teardown() {
        db.close();
      },
    };
  },
};
