import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, DataSourceOptions } from 'typeorm';
import { TaskResult, TASKS_MIGRATIONS } from '../../src';

export type TestDb = 'sqlite' | 'postgres' | 'mysql';

/** The database the suite runs against: `TEST_DB=sqlite|postgres|mysql` (default sqlite). */
export const TEST_DB: TestDb = (process.env.TEST_DB as TestDb) ?? 'sqlite';

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

/** The same for any of the three databases, whatever TEST_DB says (the dialect suite runs them all). */
export async function createDatabase(type: TestDb): Promise<TestDatabase> {
  if (type === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'nestjs-tasks-'));
    const database = join(dir, 'tasks.sqlite');
    const options = dataSourceOptions('sqlite', database);
    await migrate(options);
    return {
      options,
      describe: () => ({ type: 'sqlite', database }),
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
    case 'postgres':
      return { type: 'postgres', ...PG, database, ...common };
    case 'mysql':
      return { type: 'mysql', ...MYSQL, database, ...common };
  }
}

async function migrate(options: DataSourceOptions): Promise<void> {
  const dataSource = await new DataSource(options).initialize();
  try {
    await dataSource.runMigrations();
  } finally {
    await dataSource.destroy();
  }
}

async function resetSchema(options: DataSourceOptions): Promise<void> {
  const dataSource = await new DataSource({ ...options, migrations: [] }).initialize();
  try {
    await dataSource.query('DROP TABLE IF EXISTS task_results');
    await dataSource.query('DROP TABLE IF EXISTS migrations');
  } finally {
    await dataSource.destroy();
  }
}
