import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, DataSourceOptions } from 'typeorm';
import { TaskResult, TASKS_MIGRATIONS } from '../../src';

/** `sqlite3`: SQLite through the sqlite3 driver, TypeORM 0.3's `type: 'sqlite'` (TypeORM 1 has no such driver). */
export type TestDb = 'sqlite' | 'sqlite3' | 'postgres' | 'mysql';

/**
 * The database the suite runs against: `TEST_DB=sqlite|sqlite3|postgres|mysql` (default sqlite).
 * With sqlite3, Jest and the worker processes load TypeORM 0.3 for `typeorm` (jest.config.js,
 * register-ts.js): the whole application runs as one on TypeORM 0.3 would.
 */
export const TEST_DB: TestDb = (process.env.TEST_DB as TestDb) ?? 'sqlite';
/** The database engine, for SQL that differs between engines: both SQLite drivers are 'sqlite'. */
export const TEST_ENGINE: 'sqlite' | 'postgres' | 'mysql' = TEST_DB === 'sqlite3' ? 'sqlite' : TEST_DB;

const PG = { host: '127.0.0.1', port: 5432, username: 'postgres', password: '', database: process.env.PG_DATABASE ?? 'test' };
const MYSQL = { host: '127.0.0.1', port: 3306, username: 'root', password: '', database: process.env.MYSQL_DATABASE ?? 'test' };

export interface TestDatabase {
  /** TypeORM options for an application of this test (entities and migrations included). */
  options: DataSourceOptions;
  /** Plain-object form, for child processes (JSON through an environment variable). */
  describe(): { type: TestDb; database: string };
  /** Drops everything the test made. */
  cleanup(): Promise<void>;
}

/**
 * A fresh, migrated database for one test file: a new SQLite file in a temporary folder, or the
 * shared PostgreSQL/MariaDB test database with task_results recreated.
 */
export function createTestDatabase(): Promise<TestDatabase> {
  return createDatabase(TEST_DB);
}

/** The same for any of the four, whatever TEST_DB says (the dialect suite runs them all). */
export async function createDatabase(type: TestDb): Promise<TestDatabase> {
  if (type === 'sqlite' || type === 'sqlite3') {
    const dir = mkdtempSync(join(tmpdir(), 'nestjs-tasks-'));
    const database = join(dir, 'tasks.sqlite');
    const options = dataSourceOptions(type, database);
    await migrate(options);
    return {
      options,
      describe: () => ({ type, database }),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const database = type === 'postgres' ? PG.database : MYSQL.database;
  const options = dataSourceOptions(type, database);
  await resetSchema(options);
  await migrate(options);
  return { options, describe: () => ({ type, database }), cleanup: async () => undefined };
}

export function dataSourceOptions(type: TestDb, database: string): DataSourceOptions {
  const common = { entities: [TaskResult], migrations: TASKS_MIGRATIONS, migrationsRun: false, logging: false as const };
  switch (type) {
    case 'sqlite':
      return { type: 'better-sqlite3', database, enableWAL: true, ...common };
    case 'sqlite3':
      // TypeORM 0.3 options, which the 1.x types the project compiles against do not list.
      return { type: 'sqlite', database, enableWAL: true, ...common } as unknown as DataSourceOptions;
    case 'postgres':
      return { type: 'postgres', ...PG, database, ...common };
    case 'mysql':
      return { type: 'mysql', ...MYSQL, database, ...common };
  }
}

/**
 * A DataSource of the TypeORM that has the driver: 0.3 for `type: 'sqlite'`, which the dialect
 * suite builds next to 1.x DataSources in one process.
 */
export function newDataSource(options: DataSourceOptions): DataSource {
  if ((options.type as string) !== 'sqlite') return new DataSource(options);
  const typeorm03 = require('typeorm03') as { DataSource: new (options: DataSourceOptions) => DataSource };
  if (typeorm03.DataSource === DataSource) return new DataSource(options);
  // Next to TypeORM 1, whose decorators filled the entity metadata both versions keep in one
  // global, 0.3 cannot read the entity: the dialect needs only the table, which the migrations make.
  return new typeorm03.DataSource({ ...options, entities: [] });
}

async function migrate(options: DataSourceOptions): Promise<void> {
  const dataSource = await newDataSource(options).initialize();
  try {
    await dataSource.runMigrations();
  } finally {
    await dataSource.destroy();
  }
}

async function resetSchema(options: DataSourceOptions): Promise<void> {
  const dataSource = await newDataSource({ ...options, migrations: [] }).initialize();
  try {
    await dataSource.query('DROP TABLE IF EXISTS task_queues');
    await dataSource.query('DROP TABLE IF EXISTS task_workers');
    await dataSource.query('DROP TABLE IF EXISTS task_throttles');
    await dataSource.query('DROP TABLE IF EXISTS task_schedules');
    await dataSource.query('DROP TABLE IF EXISTS task_dependencies');
    await dataSource.query('DROP TABLE IF EXISTS task_results');
    await dataSource.query('DROP TABLE IF EXISTS migrations');
  } finally {
    await dataSource.destroy();
  }
}
