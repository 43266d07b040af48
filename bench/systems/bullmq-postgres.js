'use strict';
// BullMQ 6 on PostgreSQL: the PostgreSQL backend that ships inside the `bullmq` package since
// 6.0 (createPostgresBackend), same Queue/Worker API. Its tables live in schema bullmq_bench of
// the bench database; migrations are applied once by the driver (runMigrations), and the queue is
// obliterated before every metric.
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
      prepare: async () => {
        const client = new Client(conn);
        await client.connect();
        try {
          await runMigrations(client, SCHEMA);
        } finally {
          await client.end();
        }
      },
    });
  },
};
