import type { Pool, PoolClient } from 'pg';
import { inPgTransaction, pgParams } from './pg-transaction';
import type { OperationsDialect, OperationsRunner } from '../operations-dialect.interface';
import { postgresOperationStatements, postgresWorkerStatements } from './operations.statements';

function runner(target: () => Pool | PoolClient): OperationsRunner {
  return {
    all: async (sql, values = []) => (await target().query(sql, pgParams(values))).rows,
    run: async (sql, values = []) => (await target().query(sql, pgParams(values))).rowCount ?? 0,
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
      return inPgTransaction(pool, (client) => work(runner(() => client)));
    },
  };
}
