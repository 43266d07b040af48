'use strict';
// The idle-memory baseline: a Nest standalone application context with TypeOrmModule on the
// same database as nestjs-tasks, and nothing else (no TasksModule, no entities, no tasks). It is
// booted and read exactly like an idle nestjs-tasks worker (same agent process, same --idle-ms),
// so `rss_idle` of nestjs-tasks ÷ `rss_idle` of bare-nest is what the library adds to an
// application at rest. It measures nothing else.
const path = require('path');
const fs = require('fs');
const { createRequire } = require('module');
const config = require('../src/config');

function typeormOptions(ctx) {
  const shared = { entities: [], synchronize: false, migrationsRun: false, logging: false };
  if (ctx.db === 'sqlite') {
    fs.mkdirSync(ctx.cfg.dataDir, { recursive: true });
    return { type: 'better-sqlite3', database: path.join(ctx.cfg.dataDir, 'bare-nest.sqlite'), enableWAL: true, ...shared };
  }
  const c = ctx.db === 'postgres' ? ctx.cfg.postgres : ctx.db === 'mysql' ? ctx.cfg.mysql : null;
  if (!c) throw new Error(`bare-nest adapter: unknown db ${ctx.db}`);
  return { type: ctx.db, host: c.host, port: c.port, username: c.user, password: c.password, database: c.database, ...shared };
}

module.exports = {
  name: 'bare-nest',
  async create(ctx) {
    // Nest and TypeORM from the root's node_modules, the very copies the library's adapter uses.
    const rootRequire = createRequire(path.join(config.ROOT_DIR, 'package.json'));
    rootRequire('reflect-metadata');
    const { Module } = rootRequire('@nestjs/common');
    const { NestFactory } = rootRequire('@nestjs/core');
    const { TypeOrmModule } = rootRequire('@nestjs/typeorm');
    class BareModule {}
    Module({ imports: [TypeOrmModule.forRoot(typeormOptions(ctx))] })(BareModule);
    const app = await NestFactory.createApplicationContext(BareModule, { logger: ['error', 'warn'] });
    return {
      async setup() {},
      // Nothing to run: the "worker" is the application context at rest.
      async startWorker() {
        return { done: new Promise(() => {}), async stop() {} };
      },
      async teardown() {
        await app.close();
      },
    };
  },
};
