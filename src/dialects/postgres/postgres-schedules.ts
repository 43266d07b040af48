import type { Pool, PoolClient } from 'pg';
import { insertValues } from '../shared/insert-columns';
import type { ScheduleDialect, ScheduleStatementRunner } from '../schedule-dialect.interface';
import type { NewTaskRow } from '../task-dialect.interface';
import { postgresScheduleStatements } from './schedules.statements';

/** Dates as ISO text: node-postgres would format a Date in the process's time zone. */
function params(values: readonly unknown[]): unknown[] {
  return values.map((value) => (value instanceof Date ? value.toISOString() : value));
}

function runner(target: Pool | PoolClient): ScheduleStatementRunner {
  return {
    all: async (sql, values = []) => (await target.query(sql, params(values))).rows,
    run: async (sql, values = []) => (await target.query(sql, params(values))).rowCount ?? 0,
  };
}

/**
 * Periodic tasks through the DataSource's pool; a tick is one transaction on one pooled
 * connection. Its task is inserted with the dialect's insert-and-notify statement, so workers
 * listening hear of it when the tick commits.
 */
export function postgresSchedules(pool: Pool, schedulesTable: string, resultsTable: string, insertAndNotify: string): ScheduleDialect {
  return {
    statements: postgresScheduleStatements(schedulesTable, resultsTable),
    ...runner(pool),
    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work({
          ...runner(client),
          insertTask: async (row: NewTaskRow) => {
            await client.query(insertAndNotify, insertValues(row, (date) => date.toISOString()).map((value) => [value]));
          },
        });
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
