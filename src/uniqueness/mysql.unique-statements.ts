import { INSERT_COLUMNS, insertValues } from '../dialects/shared/insert-columns';
import { toUtcDateTime } from '../dialects/shared/task-row.mapper';
import { MYSQL } from '../dialects/mysql/mysql.statements';
import type { KeyedTask, UniqueStatements } from './uniqueness-dialect.interface';

const NOW = 'UTC_TIMESTAMP(3)';
const AFTER_NOW = `TIMESTAMPADD(MICROSECOND, ? * 1000, ${NOW})`;
/** Every column as MYSQL.find reads them (dates as UTC text). */
const COLUMNS = MYSQL.find.slice(0, MYSQL.find.lastIndexOf('WHERE'));
/** pending_key (a stored generated column) is name NUL key while the task is READY or WAITING and never claimed, else NULL. */
const PENDING_BY_KEY = `${COLUMNS} WHERE pending_key = ?`;
/** `IF(replace, new, old)`: the assignments of ON DUPLICATE KEY UPDATE run left to right, each seeing the ones before. */
const replaced = (column: string) => `${column} = IF(?, VALUES(${column}), ${column})`;
/**
 * Changes nothing, but sets LAST_INSERT_ID, which the server reports as the statement's insert
 * id: 0 (the table has no AUTO_INCREMENT) when the row was inserted, at least 1 when a pending
 * task holds the key. The argument reads the row: MariaDB evaluates a constant one while
 * preparing the statement, inserted or not.
 */
const FOUND_MARK = 'unique_key = IF(LAST_INSERT_ID(LENGTH(id) + 1), unique_key, unique_key)';

/**
 * The named statements of unique tasks on MySQL/MariaDB. There is no RETURNING to an upsert:
 * ON DUPLICATE KEY UPDATE locks the pending row (even when it changes nothing), and a locking read
 * in the same transaction then finds it, whatever the transaction's snapshot. Its insert id tells
 * whether it inserted (see FOUND_MARK and MysqlDialect.uniqueness).
 */
export const MYSQL_UNIQUE: UniqueStatements = {
  /** insertValues, metadata, key, then replace, maxWait, maxWait, replace ×4 (see upsertParams). */
  upsert: `
    INSERT INTO task_results (${INSERT_COLUMNS}, metadata, unique_key)
    VALUES (?, ?, 'READY', ?, ?, ?, ?, ?, COALESCE(?, ${AFTER_NOW}), ${NOW}, ?, 0, '[]', '[]', 0, ?, ?, ?)
    ON DUPLICATE KEY UPDATE
      run_after = IF(?, IF(? IS NULL, VALUES(run_after), LEAST(VALUES(run_after), TIMESTAMPADD(MICROSECOND, ? * 1000, enqueued_at))), run_after),
      ${replaced('args')}, ${replaced('kwargs')}, ${replaced('metadata')}, ${replaced('priority')},
      ${FOUND_MARK}`,
  upsertParams: (task: KeyedTask) => {
    const replace = task.replace ? 1 : 0;
    return [...insertValues(task.row, toUtcDateTime), task.row.metadataJson ?? null, task.row.uniqueKey,
      replace, task.maxWaitMs, task.maxWaitMs, replace, replace, replace, replace];
  },
  // The key columns are binary (see the migration): compared as bytes.
  keyParams: (taskName, key) => [taskName, Buffer.from(key, 'utf8')],
  pendingParams: (taskName, key) => [Buffer.concat([Buffer.from(taskName, 'utf8'), Buffer.from([0]), Buffer.from(key, 'utf8')])],
  pending: PENDING_BY_KEY,
  pendingLocked: `${PENDING_BY_KEY} FOR UPDATE`,
  byId: MYSQL.find,
  throttleAcquire: `
    INSERT INTO task_throttles (task_name, throttle_key, task_id, open_until) VALUES (?, ?, ?, ${AFTER_NOW})
    ON DUPLICATE KEY UPDATE
      task_id = IF(open_until <= ${NOW}, VALUES(task_id), task_id),
      open_until = IF(open_until <= ${NOW}, VALUES(open_until), open_until)`,
  throttleHolder: 'SELECT task_id FROM task_throttles WHERE task_name = ? AND throttle_key = ? FOR UPDATE',
  throttleRecord: 'UPDATE task_throttles SET task_id = ? WHERE task_name = ? AND throttle_key = ?',
  closedWindows: `DELETE FROM task_throttles WHERE open_until <= ${NOW}`,
};
