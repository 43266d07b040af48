import { INSERT_COLUMNS, insertValues } from '../dialects/shared/insert-columns';
import { toSqliteDate } from '../dialects/shared/task-row.mapper';
import type { KeyedTask, UniqueStatements } from './uniqueness-dialect.interface';

const NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now')";
const AFTER_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now', printf('%+.3f seconds', ? / 1000.0))";
const PENDING = "unique_key IS NOT NULL AND status IN ('READY', 'WAITING') AND last_attempted_at IS NULL";
const PENDING_BY_KEY = `SELECT * FROM task_results WHERE task_name = ? AND unique_key = ? AND ${PENDING}`;

/**
 * The named statements of unique tasks on SQLite. Writes are serialised by the database lock, so
 * the upsert and a read of the pending row in the same transaction agree. The upsert returns the
 * id of the pending row on the dialect's own connection (the row itself only when it is another
 * task: see enqueueKeyed); through a caller's EntityManager, where writes return nothing,
 * `pendingLocked` reads it.
 */
export const SQLITE_UNIQUE: UniqueStatements = {
  /** insertValues, metadata, key, then replace ×4, replace, maxWait, maxWait (see upsertParams). */
  upsert: `
    INSERT INTO task_results (${INSERT_COLUMNS}, metadata, unique_key)
    VALUES (?, ?, 'READY', ?, ?, ?, ?, ?, COALESCE(?, ${AFTER_NOW}), ${NOW}, ?, 0, '[]', '[]', 0, ?, ?, ?)
    ON CONFLICT (task_name, unique_key) WHERE ${PENDING}
    DO UPDATE SET
      args = CASE WHEN ? THEN excluded.args ELSE args END,
      kwargs = CASE WHEN ? THEN excluded.kwargs ELSE kwargs END,
      metadata = CASE WHEN ? THEN excluded.metadata ELSE metadata END,
      priority = CASE WHEN ? THEN excluded.priority ELSE priority END,
      run_after = CASE WHEN NOT ? THEN run_after
                       WHEN ? IS NULL THEN excluded.run_after
                       ELSE min(excluded.run_after, strftime('%Y-%m-%d %H:%M:%f', enqueued_at, printf('%+.3f seconds', ? / 1000.0))) END
    RETURNING id`,
  upsertParams: (task: KeyedTask) => {
    const replace = task.replace ? 1 : 0;
    return [...insertValues(task.row, toSqliteDate), task.row.metadataJson ?? null, task.row.uniqueKey,
      replace, replace, replace, replace, replace, task.maxWaitMs, task.maxWaitMs];
  },
  keyParams: (taskName, key) => [taskName, key],
  pendingParams: (taskName, key) => [taskName, key],
  pending: PENDING_BY_KEY,
  pendingLocked: PENDING_BY_KEY,
  byId: 'SELECT * FROM task_results WHERE id = ?',
  throttleAcquire: `
    INSERT INTO task_throttles (task_name, throttle_key, task_id, open_until) VALUES (?, ?, ?, ${AFTER_NOW})
    ON CONFLICT (task_name, throttle_key)
    DO UPDATE SET task_id = excluded.task_id, open_until = excluded.open_until WHERE open_until <= ${NOW}`,
  throttleHolder: 'SELECT task_id FROM task_throttles WHERE task_name = ? AND throttle_key = ?',
  throttleRecord: 'UPDATE task_throttles SET task_id = ? WHERE task_name = ? AND throttle_key = ?',
  closedWindows: `DELETE FROM task_throttles WHERE open_until <= ${NOW}`,
};
