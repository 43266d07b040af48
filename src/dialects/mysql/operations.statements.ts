import type { FilterShape, OperationStatements, WorkerStatements } from '../operations-dialect.interface';
import { filterConditions } from '../shared/task-filter.sql';

const NOW = 'UTC_TIMESTAMP(3)';
const AFTER_NOW = `TIMESTAMPADD(MICROSECOND, ? * 1000, ${NOW})`;
const q = () => '?';
/** What retry resets: the row as a fresh READY task, due now, its attempts and errors kept. */
const RETRIED = `status = 'READY', run_after = ${NOW}, finished_at = NULL, return_value = NULL, claimed_by = NULL,
  lease_expires_at = NULL, cancel_requested = 0, pending_dependencies = 0, max_attempts = GREATEST(max_attempts, attempt + 1)`;
const DATES = ['run_after', 'enqueued_at', 'started_at', 'finished_at', 'last_attempted_at', 'lease_expires_at', 'scheduled_at'];
/** Every column, dates as UTC text (the driver would read DATETIME in the process's zone). */
const COLUMNS = `id, task_name, status, queue_name, priority, args, kwargs, backend, max_attempts, errors, worker_ids, progress,
  return_value, claimed_by, cancel_requested, group_id, metadata, ${DATES.map((column) => `CAST(${column} AS CHAR) AS ${column}`).join(', ')}`;

/** A batch matching `filter` (and `extra`) in id order: MySQL updates and deletes take ORDER BY and LIMIT themselves. */
const batch = (filter: FilterShape, extra = '') => `WHERE ${filterConditions(filter, q).where} ${extra} ORDER BY id LIMIT ?`;

/** The operating statements of MySQL and MariaDB (see OperationStatements). */
export const MYSQL_OPERATIONS: OperationStatements = {
  returnsRows: false,
  lockTask: 'SELECT status, attempt, queue_name, pipe, task_name, unique_key, last_attempted_at FROM task_results WHERE id = ? FOR UPDATE',
  keyHolder: `SELECT id FROM task_results WHERE task_name = ? AND unique_key = ? AND status IN ('READY', 'WAITING') AND last_attempted_at IS NULL LIMIT 1`,
  retry: `UPDATE task_results SET ${RETRIED} WHERE id = ? AND status IN ('FAILED', 'CANCELLED')`,
  runNow: `UPDATE task_results SET run_after = ${NOW} WHERE id = ? AND status = 'READY' AND run_after > ${NOW}`,
  cancelledDependents: `
    SELECT t.id, t.errors, t.on_dependency_failure, t.pipe FROM task_dependencies AS d JOIN task_results AS t ON t.id = d.task_id
     WHERE d.depends_on_id = ? AND t.status = 'CANCELLED'
     ORDER BY t.id
       FOR UPDATE`,
  dependencyCounts: `
    SELECT COALESCE(SUM(CASE WHEN t.status IN ('FAILED', 'CANCELLED') THEN 1 ELSE 0 END), 0) AS failed,
           COALESCE(SUM(CASE WHEN t.status IN ('SUCCESSFUL', 'FAILED', 'CANCELLED') THEN 0 ELSE 1 END), 0) AS pending
      FROM task_dependencies AS d JOIN task_results AS t ON t.id = d.depends_on_id
     WHERE d.task_id = ?`,
  reopen: "UPDATE task_results SET status = 'WAITING', finished_at = NULL, pending_dependencies = ? WHERE id = ? AND status = 'CANCELLED'",
  retryMany: (filter) => `UPDATE task_results SET ${RETRIED} ${batch(filter, 'AND pending_dependencies = 0 AND (unique_key IS NULL OR last_attempted_at IS NOT NULL)')}`,
  runNowMany: (filter) => `UPDATE task_results SET run_after = ${NOW} ${batch(filter, `AND run_after > ${NOW}`)}`,
  cancelMany: (filter) => `UPDATE task_results SET status = 'CANCELLED', finished_at = ${NOW} ${batch(filter, 'AND has_dependents = 0')}`,
  requestCancelMany: (filter) => `UPDATE task_results SET cancel_requested = 1 ${batch(filter, 'AND cancel_requested = 0')}`,
  cascadingIds: (filter) => `SELECT id FROM task_results ${batch(filter, 'AND has_dependents = 1')} FOR UPDATE`,
  deletableIds: (filter) => `SELECT id FROM task_results ${batch(filter)} FOR UPDATE`,
  deleteEdges: 'DELETE FROM task_dependencies WHERE task_id IN (?)',
  deleteByIds: "DELETE FROM task_results WHERE id IN (?) AND status IN ('SUCCESSFUL', 'FAILED', 'CANCELLED')",
  count: (filter) => `SELECT COUNT(*) AS count FROM task_results WHERE ${filterConditions(filter, q).where}`,
  list: (filter, afterCursor) =>
    `SELECT ${COLUMNS} FROM task_results WHERE ${filterConditions(filter, q).where} ${afterCursor ? 'AND id < ?' : ''} ORDER BY id DESC LIMIT ?`,
  queueCounts: 'SELECT queue_name, status, COUNT(*) AS count FROM task_results GROUP BY queue_name, status ORDER BY queue_name, status',
};

/** The worker registry's statements of MySQL and MariaDB (table task_workers). */
export const MYSQL_WORKERS: WorkerStatements = {
  register: `
    INSERT INTO task_workers (id, host, pid, queues, concurrency, running, started_at, heartbeat_at, expires_at)
    VALUES (?, ?, ?, ?, ?, 0, ${NOW}, ${NOW}, ${AFTER_NOW})
    ON DUPLICATE KEY UPDATE
           -- Before pid and host change: a restart under the same id is a new start.
           started_at = IF(pid = VALUES(pid) AND host = VALUES(host), started_at, VALUES(started_at)),
           host = VALUES(host), pid = VALUES(pid), queues = VALUES(queues), concurrency = VALUES(concurrency),
           running = 0, heartbeat_at = VALUES(heartbeat_at), expires_at = VALUES(expires_at)`,
  heartbeat: `UPDATE task_workers SET running = ?, heartbeat_at = ${NOW}, expires_at = ${AFTER_NOW} WHERE id = ?`,
  remove: 'DELETE FROM task_workers WHERE id = ?',
  expire: `DELETE FROM task_workers WHERE expires_at < ${NOW}`,
  list: `SELECT id, host, pid, queues, concurrency, running, CAST(started_at AS CHAR) AS started_at,
                CAST(heartbeat_at AS CHAR) AS heartbeat_at, CAST(expires_at AS CHAR) AS expires_at
           FROM task_workers WHERE expires_at >= ${NOW} ORDER BY id`,
};
