import type { Pool } from 'mysql2';
import { toUtcDateTime } from '../shared/task-row.mapper';

export type Queryable = Pick<Pool, 'query'>;

/** Dates as UTC text (mysql2 would use the process's zone), booleans as 0/1; arrays expand for `IN (?)`. */
export function mysqlParams(values: readonly unknown[]): unknown[] {
  return values.map((value) => (value instanceof Date ? toUtcDateTime(value) : typeof value === 'boolean' ? Number(value) : value));
}

/** One statement through mysql2's callback API, parameters as mysqlParams() formats them. */
export function mysqlQuery<T>(target: Queryable, sql: string, values: readonly unknown[]): Promise<T> {
  return new Promise((resolve, reject) => {
    (target.query as (sql: string, values: unknown[], callback: (error: Error | null, result: unknown) => void) => void)(
      sql, mysqlParams(values), (error, result) => (error ? reject(error) : resolve(result as T)));
  });
}
