import type { Pool, PoolConnection } from 'mysql2';
import type { DataSource } from 'typeorm';

interface MysqlDriverInternals {
  mysql: { createPool(options: object): Pool };
  options: { replication?: { master: object } };
  createConnectionOptions(options: object, credentials: object): Record<string, unknown>;
}

/**
 * A connection of the worker's own for its maintenance statements (lease renewal, rescue), so
 * that they never wait for a connection of the application's pool, which the tasks themselves
 * may keep busy for longer than a lease. It has the DataSource's settings (the primary's, under
 * replication); mysql2 replaces the connection when it is lost.
 */
export function createMysqlMaintenancePool(dataSource: DataSource): Pool {
  const driver = dataSource.driver as unknown as MysqlDriverInternals;
  const options = driver.createConnectionOptions(driver.options, driver.options.replication?.master ?? driver.options);
  const pool = driver.mysql.createPool({ ...options, connectionLimit: 1, maxIdle: 1 });
  // A connection that dies while idle must not crash the process: the next statement opens another.
  pool.on('connection', (connection: PoolConnection) => {
    connection.on('error', () => undefined);
  });
  return pool;
}
