import type { FilterShape, OperationStatements, WorkerStatements } from '../operations-dialect.interface';
import { filterConditions } from '../shared/task-filter.sql';

const NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now')";
const AFTER_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now', printf('%+.3f seconds', ? / 1000.0))";
const q = () => '?';
/** What retry resets: the row as a fresh READY task, due now, its attempts and errors kept. */
const RETRIED = `status = 'READY', run_after = ${NOW}, finished_at = NULL, return_value = NULL, claimed_by = NULL,
  lease_expires_at = NULL, cancel_requested = 0, pending_dependencies = 0, max_attempts = max(max_attempts, attempt + 1)`;

/** The ids of a batch matching `filter` (and `extra`); the limit is the last parameter. Writes take the database lock: no row locks. */
const batch = (filter: FilterShape, extra = '') => `SELECT id FROM task_results WHERE ${filterConditions(filter, q).where} ${extra} ORDER BY id LIMIT ?`;

/** The operating statements of SQLite (see OperationStatements). */
export const SQLITE_OPERATIONS: OperationStatements = {
  returnsRows: true,
  lockTask: 'SELECT status, attempt, queue_name, pipe, task_name, unique_key, last_attempted_at FROM task_results WHERE id = ?',
  keyHolder: `SELECT id FROM task_results WHERE task_name = ? AND unique_key = ? AND status IN ('READY', 'WAITING') AND last_attempted_at IS NULL LIMIT 1`,
  retry: `UPDATE task_results SET ${RETRIED} WHERE id = ? AND status IN ('FAILED', 'CANCELLED')`,
  runNow: `UPDATE task_results SET run_after = ${NOW} WHERE id = ? AND status = 'READY' AND run_after > ${NOW}`,
  cancelledDependents: `
    SELECT t.id, t.errors, t.on_dependency_failure, t.pipe FROM task_dependencies AS d JOIN task_results AS t ON t.id = d.task_id
     WHERE d.depends_on_id = ? AND t.status = 'CANCELLED'
     ORDER BY t.id`,
  dependencyCounts: `
    SELECT COALESCE(sum(CASE WHEN t.status IN ('FAILED', 'CANCELLED') THEN 1 ELSE 0 END), 0) AS failed,
           COALESCE(sum(CASE WHEN t.status IN ('SUCCESSFUL', 'FAILED', 'CANCELLED') THEN 0 ELSE 1 END), 0) AS pending
      FROM task_dependencies AS d JOIN task_results AS t ON t.id = d.depends_on_id
     WHERE d.task_id = ?`,
  reopen: "UPDATE task_results SET status = 'WAITING', finished_at = NULL, pending_dependencies = ? WHERE id = ? AND status = 'CANCELLED'",
  retryMany: (filter) => `
    UPDATE task_results SET ${RETRIED}
     WHERE id IN (${batch(filter, 'AND pending_dependencies = 0 AND (unique_key IS NULL OR last_attempted_at IS NOT NULL)')}) AND status IN ('FAILED', 'CANCELLED')
    RETURNING queue_name`,
  runNowMany: (filter) => `
    UPDATE task_results SET run_after = ${NOW}
     WHERE id IN (${batch(filter, `AND run_after > ${NOW}`)}) AND status = 'READY' AND run_after > ${NOW}
    RETURNING queue_name`,
  cancelMany: (filter) => `
    UPDATE task_results SET status = 'CANCELLED', finished_at = ${NOW}
     WHERE id IN (${batch(filter, 'AND NOT has_dependents')}) AND status IN ('READY', 'WAITING')`,
  requestCancelMany: (filter) => `
    UPDATE task_results SET cancel_requested = 1
     WHERE id IN (${batch(filter, 'AND NOT cancel_requested')}) AND status = 'RUNNING'`,
  cascadingIds: (filter) => batch(filter, 'AND has_dependents'),
  deletableIds: (filter) => batch(filter),
  deleteEdges: 'DELETE FROM task_dependencies WHERE task_id IN (SELECT value FROM json_each(?))',
  deleteByIds: "DELETE FROM task_results WHERE id IN (SELECT value FROM json_each(?)) AND status IN ('SUCCESSFUL', 'FAILED', 'CANCELLED')",
  count: (filter) => `SELECT count(*) AS count FROM task_results WHERE ${filterConditions(filter, q).where}`,
  list: (filter, afterCursor) =>
    `SELECT * FROM task_results WHERE ${filterConditions(filter, q).where} ${afterCursor ? 'AND id < ?' : ''} ORDER BY id DESC LIMIT ?`,
  queueCounts: 'SELECT queue_name, status, count(*) AS count FROM task_results GROUP BY queue_name, status ORDER BY queue_name, status',
};

/** The worker registry's statements of SQLite (table task_workers). */
export const SQLITE_WORKERS: WorkerStatements = {
  register: `
    INSERT INTO task_workers (id, host, pid, queues, concurrency, running, started_at, heartbeat_at, expires_at)
    VALUES (?, ?, ?, ?, ?, 0, ${NOW}, ${NOW}, ${AFTER_NOW})
    ON CONFLICT (id) DO UPDATE
       SET started_at = CASE WHEN pid = excluded.pid AND host = excluded.host THEN started_at ELSE excluded.started_at END,
           host = excluded.host, pid = excluded.pid, queues = excluded.queues, concurrency = excluded.concurrency,
           running = 0, heartbeat_at = excluded.heartbeat_at, expires_at = excluded.expires_at`,
  heartbeat: `UPDATE task_workers SET running = ?, heartbeat_at = ${NOW}, expires_at = ${AFTER_NOW} WHERE id = ?`,
  remove: 'DELETE FROM task_workers WHERE id = ?',
  expire: `DELETE FROM task_workers WHERE expires_at < ${NOW}`,
  list: `SELECT * FROM task_workers WHERE expires_at >= ${NOW} ORDER BY id`,
};
