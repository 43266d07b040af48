import type { Database } from 'better-sqlite3';
import type { DataSource } from 'typeorm';
import { TasksError } from '../task.errors';
import type { TaskDialect } from './task-dialect.interface';
import { BetterSqlite3Connection, BUSY_TIMEOUT_MS } from './sqlite/better-sqlite3.connection';
import { openSqlite3 } from './sqlite/open-sqlite3';
import { SqliteDialect } from './sqlite/sqlite.dialect';
import { PostgresDialect } from './postgres/postgres.dialect';
import { MysqlDialect } from './mysql/mysql.dialect';

/** The dialects import only types from their drivers: the DataSource has loaded the one in use. */
export function createDialect(dataSource: DataSource): TaskDialect {
  // 'sqlite' (the sqlite3 driver) exists in TypeORM 0.3 only, so not in the 1.x types.
  const type: string = dataSource.options.type;
  switch (type) {
    case 'better-sqlite3':
      return new SqliteDialect(...openBetterSqlite3(dataSource));
    case 'sqlite':
      return new SqliteDialect(...openSqlite3(dataSource));
    case 'postgres':
      return new PostgresDialect(dataSource);
    case 'mysql':
    case 'mariadb':
      return new MysqlDialect(dataSource);
    default:
      throw new TasksError(`nestjs-tasks supports better-sqlite3, sqlite, postgres, mysql and mariadb DataSources; this one is ${type}.`);
  }
}

/**
 * The dialect's own connection to the application's file, so its immediate transactions never
 * interleave with the application's TypeORM transactions. An in-memory database exists only on
 * the application's connection: enqueue and reads share it, a worker refuses it.
 */
function openBetterSqlite3(dataSource: DataSource): [BetterSqlite3Connection, { sharedConnection: boolean; file?: string }] {
  const driver = dataSource.driver as unknown as { databaseConnection: Database; sqlite: new (file: string) => Database };
  const file = String((dataSource.options as { database?: string }).database ?? ':memory:');
  // The application's connection writes the same file (enqueue inside its transactions).
  driver.databaseConnection.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  if (file === ':memory:' || file === '') {
    return [new BetterSqlite3Connection(driver.databaseConnection, false), { sharedConnection: true }];
  }
  return [BetterSqlite3Connection.open(driver.sqlite, file), { sharedConnection: false, file }];
}
