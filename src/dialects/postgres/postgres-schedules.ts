import type { Pool, PoolClient } from 'pg';
import { inPgTransaction, pgParams } from './pg-transaction';
import { insertValues } from '../shared/insert-columns';
import type { ScheduleDialect, ScheduleStatementRunner } from '../schedule-dialect.interface';
import type { NewTaskRow } from '../task-dialect.interface';
import { postgresScheduleStatements } from './schedules.statements';

function runner(target: Pool | PoolClient): ScheduleStatementRunner {
  return {
    all: async (sql, values = []) => (await target.query(sql, pgParams(values))).rows,
    run: async (sql, values = []) => (await target.query(sql, pgParams(values))).rowCount ?? 0,
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
      return inPgTransaction(pool, (client) => work({
        ...runner(client),
        insertTask: async (row: NewTaskRow) => {
          await client.query(insertAndNotify, insertValues(row, (date) => date.toISOString()).map((value) => [value]));
        },
      }));
    },
  };
}
