import type { Pool, PoolClient } from 'pg';

/** Dates as ISO text: node-postgres would format a Date in the process's time zone. */
export function pgParams(values: readonly unknown[]): unknown[] {
  return values.map((value) => (value instanceof Date ? value.toISOString() : value));
}

/**
 * Runs `work` in a transaction on one pooled connection. A connection whose ROLLBACK fails is
 * destroyed rather than given back, so no later query inherits its aborted transaction.
 */
export async function inPgTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    client.release();
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
      client.release();
    } catch {
      client.release(true);
    }
    throw error;
  }
}
