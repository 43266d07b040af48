import { toSqliteDate } from '../shared/task-row.mapper';
import type { OperationsDialect, OperationsRunner } from '../operations-dialect.interface';
import type { SqliteConnection, SqliteStatementRunner } from './sqlite-connection';
import { SQLITE_OPERATIONS, SQLITE_WORKERS } from './operations.statements';

/** Dates as stored text, booleans as 0/1, arrays as JSON (for json_each): what both SQLite drivers bind. */
function params(values: readonly unknown[]): unknown[] {
  return values.map((value) => {
    if (value instanceof Date) return toSqliteDate(value);
    if (typeof value === 'boolean') return Number(value);
    return Array.isArray(value) ? JSON.stringify(value) : value;
  });
}

function runner(connection: SqliteStatementRunner): OperationsRunner {
  return {
    all: (sql, values = []) => connection.all(sql, params(values)),
    run: async (sql, values = []) => (await connection.run(sql, params(values))).changes,
  };
}

/** The operating tools on the dialect's own connection; a transaction is an immediate one. */
export function sqliteOperations(connection: SqliteConnection): OperationsDialect {
  const own = runner(connection);
  return {
    statements: SQLITE_OPERATIONS,
    workers: SQLITE_WORKERS,
    ...own,
    maintenance: own,
    transaction: (work) => connection.immediate((tx) => work(runner(tx))),
  };
}
