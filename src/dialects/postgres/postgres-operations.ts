import type { Pool, PoolClient } from 'pg';
import type { OperationsDialect, OperationsRunner } from '../operations-dialect.interface';
import { postgresOperationStatements, postgresWorkerStatements } from './operations.statements';

/** Dates as ISO text: node-postgres would format a Date in the process's time zone. */
function params(values: readonly unknown[]): unknown[] {
  return values.map((value) => (value instanceof Date ? value.toISOString() : value));
}

function runner(target: () => Pool | PoolClient): OperationsRunner {
  return {
    all: async (sql, values = []) => (await target().query(sql, params(values))).rows,
    run: async (sql, values = []) => (await target().query(sql, params(values))).rowCount ?? 0,
  };
}

/**
 * The operating tools through the DataSource's pool; heartbeats on the maintenance pool, beside
 * lease renewals, so a worker whose pool is busy with tasks still shows as alive.
 */
export function postgresOperations(pool: Pool, maintenance: () => Pool, tables: { results: string; edges: string; workers: string }): OperationsDialect {
  return {
    statements: postgresOperationStatements(tables.results, tables.edges),
    workers: postgresWorkerStatements(tables.workers),
    ...runner(() => pool),
    maintenance: runner(maintenance),
    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work(runner(() => client));
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
    },
  };
}
