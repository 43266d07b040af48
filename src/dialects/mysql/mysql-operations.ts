import { mysqlQuery as query, Queryable } from './mysql-query';
import type { Pool, PoolConnection } from 'mysql2';
import type { OperationsDialect, OperationsRow, OperationsRunner } from '../operations-dialect.interface';
import { MYSQL_OPERATIONS, MYSQL_WORKERS } from './operations.statements';


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
