import type { Pool, PoolConnection, ResultSetHeader } from 'mysql2';
import { insertValues } from '../shared/insert-columns';
import { toUtcDateTime } from '../shared/task-row.mapper';
import type { ScheduleDbRow, ScheduleDialect, ScheduleStatementRunner } from '../schedule-dialect.interface';
import { MYSQL } from './mysql.statements';
import { MYSQL_SCHEDULES } from './schedules.statements';

type Queryable = Pick<Pool, 'query'>;

/** Dates as UTC text (mysql2 would use the process's zone), booleans as 0/1. */
function params(values: readonly unknown[]): unknown[] {
  return values.map((value) => (value instanceof Date ? toUtcDateTime(value) : typeof value === 'boolean' ? Number(value) : value));
}

function query<T>(target: Queryable, sql: string, values: readonly unknown[]): Promise<T> {
  return new Promise((resolve, reject) => {
    (target.query as (sql: string, values: unknown[], callback: (error: Error | null, result: unknown) => void) => void)(
      sql, params(values), (error, result) => (error ? reject(error) : resolve(result as T)));
  });
}

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
