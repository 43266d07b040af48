import type { Database } from 'sqlite3';
import type { DataSource } from 'typeorm';
import { Sqlite3Connection, SQLITE3_BUSY_TIMEOUT_MS, Sqlite3Module } from './sqlite3.connection';

/** What TypeORM 0.3's `type: 'sqlite'` driver exposes: the module it loaded, and its one connection. */
interface Sqlite3Driver {
  sqlite: Sqlite3Module;
  databaseConnection: Database;
}

/** The options of that DataSource this needs (TypeORM 0.3's SqliteConnectionOptions). */
interface Sqlite3Options {
  database?: string;
  flags?: number;
  key?: string;
  busyTimeout?: number;
}

/**
 * The sqlite3 dialect's connection for a TypeORM 0.3 `type: 'sqlite'` DataSource: its own
 * connection to the application's file, so its immediate transactions never interleave with the
 * application's TypeORM transactions. An in-memory database exists only on the application's
 * connection: enqueue and reads share it, a worker refuses it.
 */
export function openSqlite3(dataSource: DataSource): [Sqlite3Connection, { sharedConnection: boolean; file?: string }] {
  const driver = dataSource.driver as unknown as Sqlite3Driver;
  const options = dataSource.options as Sqlite3Options;
  const file = String(options.database ?? ':memory:');
  if (options.busyTimeout === undefined) {
    // The driver's default is no wait at all: the application's writes (enqueue inside its own
    // transactions) would fail with SQLITE_BUSY whenever a worker holds the lock for a moment.
    // This waits on a libuv thread, never on the event loop.
    driver.databaseConnection.configure('busyTimeout', SQLITE3_BUSY_TIMEOUT_MS);
  }
  if (file === ':memory:' || file === '') {
    return [Sqlite3Connection.shared(driver.databaseConnection), { sharedConnection: true }];
  }
  return [Sqlite3Connection.open(driver.sqlite, file, { flags: options.flags, key: options.key }), { sharedConnection: false, file }];
}
