import type { ClientConfig, Pool, PoolConfig } from 'pg';

/**
 * The settings of the DataSource's pool, for connections the dialect opens beside it. pg-pool
 * keeps the password as a non-enumerable property, which a spread would drop.
 */
export function pgConnectionConfig(pool: Pool): ClientConfig {
  const options = (pool as unknown as { options: PoolConfig }).options;
  return { ...options, password: options.password, keepAlive: true };
}

/**
 * One connection of the worker's own for its maintenance statements (lease renewal, rescue), so
 * that they never wait for a connection of the application's pool, which the tasks themselves
 * may keep busy for longer than a lease. pg-pool replaces the connection when it is lost.
 */
export function createPgMaintenancePool(pool: Pool): Pool {
  const PoolClass = pool.constructor as new (config: PoolConfig) => Pool;
  const maintenance = new PoolClass({
    ...pgConnectionConfig(pool),
    max: 1,
    min: 0,
    // Kept open between renewals rather than reconnecting for each.
    idleTimeoutMillis: 0,
    allowExitOnIdle: true,
  });
  // A connection lost while idle: the next statement opens another.
  maintenance.on('error', () => undefined);
  return maintenance;
}
