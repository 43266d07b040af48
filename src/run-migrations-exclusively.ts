import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataSource } from 'typeorm';

/** One lock for every process that migrates this database through this function. */
const LOCK_NAME = 'nestjs-tasks:migrations';
/** pg_advisory_lock takes a 64-bit key: these are the first 8 bytes of sha256(LOCK_NAME). */
const PG_LOCK_KEY = '1290844189141910771';

/**
 * Runs the DataSource's pending migrations while holding a database-wide lock, so processes that
 * start together (an API and its workers, several replicas) migrate one after the other: the
 * first runs the migrations, the others then find none pending. TypeORM's own `migrationsRun`
 * has no such lock: each process checks for the `migrations` table and creates it, then reads
 * which migrations ran, so processes starting together fail with `relation "migrations" already
 * exists` or re-run a migration that another one is committing, and Nest retries them.
 * PostgreSQL takes an advisory lock, MySQL/MariaDB a named lock (GET_LOCK), each on a connection
 * of its own held until the migrations have run. SQLite (better-sqlite3 or sqlite3) has no named
 * locks: an exclusive transaction on a small file beside the database (`<file>-migrations.lock`)
 * stands for one; like the others, the operating system releases it if the process dies.
 * Resolves with the DataSource, so it fits `TypeOrmModule.forRootAsync({ dataSourceFactory })`.
 */
export async function runMigrationsExclusively(dataSource: DataSource): Promise<DataSource> {
  const initialize = async () => {
    if (!dataSource.isInitialized) await dataSource.initialize();
  };
  // A string: TypeORM 1.x's types no longer name 'sqlite', which 0.3 applications still use.
  const type: string = dataSource.options.type;
  // SQLite: the connection is opened under the lock too. The first to open a new file turns it
  // to WAL, which needs it alone: a process opening it meanwhile would fail with SQLITE_BUSY.
  if (type === 'better-sqlite3') {
    await withSqliteFileLock(dataSource, async () => {
      await initialize();
      await dataSource.runMigrations();
    });
    return dataSource;
  }
  if (type === 'sqlite') {
    await withSqlite3FileLock(dataSource, async () => {
      await initialize();
      await dataSource.runMigrations();
    });
    return dataSource;
  }
  await initialize();
  if (type !== 'postgres' && type !== 'mysql' && type !== 'mariadb') {
    await dataSource.runMigrations();
    return dataSource;
  }
  const lockRunner = dataSource.createQueryRunner('master');
  try {
    if (type === 'postgres') {
      await lockRunner.query(`SELECT pg_advisory_lock(${PG_LOCK_KEY})`);
    } else {
      // Waits as long as it takes, as pg_advisory_lock does. Not with a negative timeout: MySQL
      // waits forever then, but MariaDB answers NULL at once; so wait in rounds until it is ours.
      while (Number((await lockRunner.query('SELECT GET_LOCK(?, 60) AS locked', [LOCK_NAME]))[0]?.locked) !== 1);
    }
    try {
      await dataSource.runMigrations();
    } finally {
      await lockRunner.query(type === 'postgres' ? `SELECT pg_advisory_unlock(${PG_LOCK_KEY})` : 'SELECT RELEASE_LOCK(?)', type === 'postgres' ? [] : [LOCK_NAME]);
    }
  } finally {
    await lockRunner.release();
  }
  return dataSource;
}

interface SqliteConnection {
  pragma(source: string): unknown;
  exec(source: string): unknown;
  close(): unknown;
}

async function withSqliteFileLock(dataSource: DataSource, run: () => Promise<unknown>): Promise<void> {
  const file = String((dataSource.options as { database?: string }).database ?? ':memory:');
  if (file === ':memory:' || file === '') {
    await run();
    return;
  }
  // The lock is taken before TypeORM opens the database, which is what creates its folder.
  mkdirSync(dirname(file), { recursive: true });
  // The constructor TypeORM loaded the database with, so no second copy of the driver is needed.
  const Database = (dataSource.driver as unknown as { sqlite: new (file: string) => SqliteConnection }).sqlite;
  const lock = new Database(`${file}-migrations.lock`);
  try {
    // Waits for another process's migrations: they take seconds, not minutes.
    lock.pragma('busy_timeout = 120000');
    lock.exec('BEGIN EXCLUSIVE');
    try {
      await run();
    } finally {
      lock.exec('ROLLBACK');
    }
  } finally {
    lock.close();
  }
}

/** The asynchronous `sqlite3` driver's Database, as far as the lock needs it. */
interface Sqlite3Database {
  configure(option: 'busyTimeout', value: number): void;
  exec(sql: string, callback: (error: Error | null) => void): unknown;
  close(callback: (error: Error | null) => void): unknown;
}

/** The same lock as withSqliteFileLock, over the `sqlite3` driver (TypeORM 0.3 `type: 'sqlite'`). */
async function withSqlite3FileLock(dataSource: DataSource, run: () => Promise<unknown>): Promise<void> {
  const file = String((dataSource.options as { database?: string }).database ?? ':memory:');
  if (file === ':memory:' || file === '') {
    await run();
    return;
  }
  mkdirSync(dirname(file), { recursive: true });
  const { Database } = (dataSource.driver as unknown as { sqlite: { Database: new (file: string, callback: (error: Error | null) => void) => Sqlite3Database } }).sqlite;
  const lock = await new Promise<Sqlite3Database>((resolve, reject) => {
    const opened: Sqlite3Database = new Database(`${file}-migrations.lock`, (error) => (error ? reject(error) : resolve(opened)));
  });
  const exec = (sql: string) => new Promise<void>((resolve, reject) => lock.exec(sql, (error) => (error ? reject(error) : resolve())));
  try {
    lock.configure('busyTimeout', 120_000);
    await exec('BEGIN EXCLUSIVE');
    try {
      await run();
    } finally {
      await exec('ROLLBACK');
    }
  } finally {
    await new Promise<void>((resolve) => lock.close(() => resolve()));
  }
}
