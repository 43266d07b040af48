import type { Pool, PoolConnection } from 'mysql2';
import { toUtcDateTime } from '../shared/task-row.mapper';
import type { OperationsDialect, OperationsRow, OperationsRunner } from '../operations-dialect.interface';
import { MYSQL_OPERATIONS, MYSQL_WORKERS } from './operations.statements';

type Queryable = Pick<Pool, 'query'>;

/** Dates as UTC text (mysql2 would use the process's zone), booleans as 0/1; arrays expand for `IN (?)`. */
function params(values: readonly unknown[]): unknown[] {
  return values.map((value) => (value instanceof Date ? toUtcDateTime(value) : typeof value === 'boolean' ? Number(value) : value));
}

function query<T>(target: Queryable, sql: string, values: readonly unknown[]): Promise<T> {
  return new Promise((resolve, reject) => {
    (target.query as (sql: string, values: unknown[], callback: (error: Error | null, result: unknown) => void) => void)(
      sql, params(values), (error, result) => (error ? reject(error) : resolve(result as T)));
  });
}

function runner(target: () => Queryable): OperationsRunner {
  return {
    all: (sql, values = []) => query<OperationsRow[]>(target(), sql, values),
    run: async (sql, values = []) => (await query<{ affectedRows: number }>(target(), sql, values)).affectedRows,
  };
}

/**
 * The operating tools through the DataSource's pool, heartbeats on the maintenance pool. A
 * transaction is the dialect's at READ COMMITTED: bulk batches read ranges of the status index,
 * which REPEATABLE READ would gap-lock against every claim and finish.
 */
export function mysqlOperations(
  pool: Queryable,
  maintenance: () => Queryable,
  transaction: <T>(work: (connection: PoolConnection) => Promise<T>) => Promise<T>,
): OperationsDialect {
  return {
    statements: MYSQL_OPERATIONS,
    workers: MYSQL_WORKERS,
    ...runner(() => pool),
    maintenance: runner(maintenance),
    transaction: (work) => transaction((connection) => work(runner(() => connection))),
  };
}
