import { mysqlQuery as query, Queryable } from './mysql-query';
import { toUtcDateTime } from '../shared/task-row.mapper';
import type { Pool, PoolConnection, ResultSetHeader } from 'mysql2';
import { insertValues } from '../shared/insert-columns';
import type { ScheduleDbRow, ScheduleDialect, ScheduleStatementRunner } from '../schedule-dialect.interface';
import { MYSQL } from './mysql.statements';
import { MYSQL_SCHEDULES } from './schedules.statements';


function runner(target: Queryable): ScheduleStatementRunner {
  return {
    all: (sql, values = []) => query<ScheduleDbRow[]>(target, sql, values),
    run: async (sql, values = []) => (await query<ResultSetHeader>(target, sql, values)).affectedRows,
  };
}

/**
 * Periodic tasks through the DataSource's pool; a tick is one transaction (the dialect's, at the
 * default isolation: the compare-and-set touches one row by primary key, and a second process
 * updating it waits for the first to commit, then finds next_run_at changed).
 */
export function mysqlSchedules(
  pool: Queryable,
  transaction: <T>(work: (connection: PoolConnection) => Promise<T>) => Promise<T>,
): ScheduleDialect {
  return {
    statements: MYSQL_SCHEDULES,
    ...runner(pool),
    transaction: (work) => transaction((connection) => work({
      ...runner(connection),
      insertTask: async (row) => {
        await query(connection, MYSQL.insert(1), insertValues(row, toUtcDateTime));
      },
    })),
  };
}
