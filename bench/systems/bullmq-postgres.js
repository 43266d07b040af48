'use strict';
// BullMQ 6 on PostgreSQL: the PostgreSQL backend that ships inside the `bullmq` package since
// 6.0 (createPostgresBackend), same Queue/Worker API. Its tables live in schema bullmq_bench of
// the bench database. Before every measurement the driver drops that schema and migrates it again
// (runMigrations): obliterate() left the append-only event table (90 MB after a few runs) and the
// dead job rows behind, so each measurement would have started on a bigger, bloated schema.
const { Client } = require('pg');
const { createPostgresBackend, runMigrations } = require('bullmq');
const { createBullmq } = require('../src/bullmq-common');

const SCHEMA = 'bullmq_bench';

module.exports = {
  name: 'bullmq',
  async create(ctx) {
    const c = ctx.cfg.postgres;
    const conn = { host: c.host, port: c.port, user: c.user, password: c.password, database: c.database };
    return createBullmq(ctx, {
      connection: { ...conn, schema: SCHEMA, max: 10 },
      backendFactory: createPostgresBackend,
      reset: async () => {
        const client = new Client(conn);
        await client.connect();
        try {
          await client.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
          await runMigrations(client, SCHEMA);
        } finally {
          await client.end();
        }
      },
    });
  },
};
