import { toSqliteDate } from '../shared/task-row.mapper';
import type { ScheduleDialect, ScheduleStatementRunner } from '../schedule-dialect.interface';
import type { SqliteConnection, SqliteStatementRunner } from './sqlite-connection';
import { SQLITE, sqliteInsertValues } from './sqlite.statements';
import { SQLITE_SCHEDULES } from './schedules.statements';

/** Dates as stored text, booleans as 0/1, arrays as JSON (for json_each): what both SQLite drivers bind. */
function params(values: readonly unknown[]): unknown[] {
  return values.map((value) => {
    if (value instanceof Date) return toSqliteDate(value);
    if (typeof value === 'boolean') return Number(value);
    return Array.isArray(value) ? JSON.stringify(value) : value;
  });
}

function runner(connection: SqliteStatementRunner): ScheduleStatementRunner {
  return {
    all: (sql, values = []) => connection.all(sql, params(values)),
    run: async (sql, values = []) => (await connection.run(sql, params(values))).changes,
  };
}

/** Periodic tasks on the dialect's own connection; a tick is one immediate transaction. */
export function sqliteSchedules(connection: SqliteConnection): ScheduleDialect {
  return {
    statements: SQLITE_SCHEDULES,
    ...runner(connection),
    transaction: (work) => connection.immediate((tx) => work({
      ...runner(tx),
      insertTask: async (row) => {
        await tx.run(SQLITE.insert, sqliteInsertValues(row, null, toSqliteDate));
      },
    })),
  };
}
