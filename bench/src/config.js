'use strict';
// Where the bench's databases live. Everything the bench creates is in a database named
// `bench` (PostgreSQL, MariaDB) or under bench/.data (SQLite) or under the Redis key prefix
// `ntbench`, so it never touches the `test` databases the test suite uses.
const path = require('path');
const fs = require('fs');

const BENCH_DIR = path.resolve(__dirname, '..');
const ROOT_DIR = path.resolve(BENCH_DIR, '..');
const DATA_DIR = path.join(BENCH_DIR, '.data');

function parseUrl(u) {
  const url = new URL(u);
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: url.pathname.replace(/^\//, ''),
  };
}

function load() {
  const pgUrl = process.env.BENCH_PG_URL || 'postgres://postgres@127.0.0.1:5432/bench';
  const myUrl = process.env.BENCH_MYSQL_URL || 'mysql://root@127.0.0.1:3306/bench';
  const redisUrl = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379/0';
  const pg = parseUrl(pgUrl);
  const my = parseUrl(myUrl);
  const redis = new URL(redisUrl);
  return {
    benchDir: BENCH_DIR,
    rootDir: ROOT_DIR,
    dataDir: DATA_DIR,
    postgres: {
      url: pgUrl,
      host: pg.host,
      port: pg.port || 5432,
      user: pg.user || 'postgres',
      password: pg.password || undefined,
      database: pg.database || 'bench',
    },
    mysql: {
      url: myUrl,
      host: my.host,
      port: my.port || 3306,
      user: my.user || 'root',
      password: my.password || '',
      database: my.database || 'bench',
    },
    redis: {
      url: redisUrl,
      host: redis.hostname,
      port: redis.port ? Number(redis.port) : 6379,
      db: Number(redis.pathname.replace(/^\//, '') || 0),
      prefix: 'ntbench',
    },
  };
}

/**
 * Creates the `bench` databases when missing. Returns { postgres, mysql, redis } with
 * either true or an error message per server, so systems on a missing server are skipped.
 */
async function ensureServers(cfg) {
  const status = { postgres: true, mysql: true, redis: true, versions: {} };
  fs.mkdirSync(cfg.dataDir, { recursive: true });

  try {
    const { Client } = require('pg');
    const admin = new Client({
      host: cfg.postgres.host,
      port: cfg.postgres.port,
      user: cfg.postgres.user,
      password: cfg.postgres.password,
      database: 'postgres',
      connectionTimeoutMillis: 5000,
    });
    await admin.connect();
    try {
      const { rows } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [cfg.postgres.database]);
      if (!rows.length) await admin.query(`CREATE DATABASE "${cfg.postgres.database.replace(/"/g, '')}"`);
      status.versions.postgres = (await admin.query('SHOW server_version')).rows[0].server_version;
    } finally {
      await admin.end();
    }
  } catch (e) {
    status.postgres = `PostgreSQL at ${cfg.postgres.host}:${cfg.postgres.port} unusable: ${e.message}`;
  }

  try {
    const mysql = require('mysql2/promise');
    const conn = await mysql.createConnection({
      host: cfg.mysql.host,
      port: cfg.mysql.port,
      user: cfg.mysql.user,
      password: cfg.mysql.password,
      connectTimeout: 5000,
    });
    try {
      await conn.query(`CREATE DATABASE IF NOT EXISTS \`${cfg.mysql.database.replace(/`/g, '')}\``);
      const [rows] = await conn.query('SELECT VERSION() AS v');
      status.versions.mysql = rows[0].v;
    } finally {
      await conn.end();
    }
  } catch (e) {
    status.mysql = `MySQL/MariaDB at ${cfg.mysql.host}:${cfg.mysql.port} unusable: ${e.message}`;
  }

  try {
    const Redis = require('ioredis');
    const r = new Redis({ host: cfg.redis.host, port: cfg.redis.port, db: cfg.redis.db, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
    try {
      await r.connect();
      const info = await r.info('server');
      status.versions.redis = (/redis_version:(\S+)/.exec(info) || [])[1];
    } finally {
      r.disconnect();
    }
  } catch (e) {
    status.redis = `Redis at ${cfg.redis.host}:${cfg.redis.port} unusable: ${e.message}`;
  }

  try {
    status.versions.sqlite = new (require('better-sqlite3'))(':memory:').prepare('select sqlite_version() v').get().v;
  } catch (e) {
    /* only informative */
  }
  return status;
}

/** One cheap round trip to `server` ('postgres' | 'mysql' | 'redis'); throws when it does not answer. */
async function ping(server, cfg) {
  if (server === 'postgres') {
    const { Client } = require('pg');
    const c = new Client({ host: cfg.postgres.host, port: cfg.postgres.port, user: cfg.postgres.user, password: cfg.postgres.password, database: cfg.postgres.database, connectionTimeoutMillis: 3000 });
    await c.connect();
    try {
      await c.query('SELECT 1');
    } finally {
      await c.end().catch(() => {});
    }
  } else if (server === 'mysql') {
    const mysql = require('mysql2/promise');
    const c = await mysql.createConnection({ host: cfg.mysql.host, port: cfg.mysql.port, user: cfg.mysql.user, password: cfg.mysql.password, database: cfg.mysql.database, connectTimeout: 3000 });
    try {
      await c.query('SELECT 1');
    } finally {
      await c.end().catch(() => {});
    }
  } else if (server === 'redis') {
    const Redis = require('ioredis');
    const r = new Redis({ host: cfg.redis.host, port: cfg.redis.port, db: cfg.redis.db, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
    try {
      await r.connect();
      await r.ping();
    } finally {
      r.disconnect();
    }
  }
}

module.exports = { load, ensureServers, ping, BENCH_DIR, ROOT_DIR, DATA_DIR };
