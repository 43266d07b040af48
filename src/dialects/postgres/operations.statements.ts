import type { FilterShape, OperationStatements, WorkerStatements } from '../operations-dialect.interface';
import { filterConditions } from '../shared/task-filter.sql';

const NOW = "date_trunc('milliseconds', now())";
const afterNow = (ms: string) => `date_trunc('milliseconds', now() + ${ms}::float8 * interval '1 millisecond')`;
const $ = (n: number) => `$${n}`;
/** What retry resets: the row as a fresh READY task, due now, its attempts and errors kept. */
const RETRIED = `status = 'READY', run_after = ${NOW}, finished_at = NULL, return_value = NULL, claimed_by = NULL,
  lease_expires_at = NULL, cancel_requested = false, pending_dependencies = 0, max_attempts = GREATEST(max_attempts, attempt + 1)`;

/** The operating statements of PostgreSQL for `table` and `edges` (see OperationStatements). */
export function postgresOperationStatements(table: string, edges: string): OperationStatements {
  /** The ids of a batch matching `filter` (and `extra`), locked in id order; the limit is the last parameter. */
  const batch = (filter: FilterShape, extra = '') => {
    const { where, params } = filterConditions(filter, $);
    return `SELECT id FROM ${table} WHERE ${where} ${extra} ORDER BY id LIMIT $${params + 1}::int FOR UPDATE`;
  };
  return {
    returnsRows: true,
    lockTask: `SELECT status, attempt, queue_name, pipe, task_name, unique_key, last_attempted_at FROM ${table} WHERE id = $1::text FOR UPDATE`,
    keyHolder: `SELECT id FROM ${table} WHERE task_name = $1::text AND unique_key = $2::text AND status IN ('READY', 'WAITING') AND last_attempted_at IS NULL LIMIT 1`,
    retry: `UPDATE ${table} SET ${RETRIED} WHERE id = $1::text AND status IN ('FAILED', 'CANCELLED')`,
    runNow: `UPDATE ${table} SET run_after = ${NOW} WHERE id = $1::text AND status = 'READY' AND run_after > ${NOW}`,
    cancelledDependents: `
      SELECT t.id, t.errors, t.on_dependency_failure, t.pipe FROM ${edges} AS d JOIN ${table} AS t ON t.id = d.task_id
       WHERE d.depends_on_id = $1::text AND t.status = 'CANCELLED'
       ORDER BY t.id
         FOR UPDATE OF t`,
    dependencyCounts: `
      SELECT COALESCE(sum(CASE WHEN t.status IN ('FAILED', 'CANCELLED') THEN 1 ELSE 0 END), 0)::int AS failed,
             COALESCE(sum(CASE WHEN t.status IN ('SUCCESSFUL', 'FAILED', 'CANCELLED') THEN 0 ELSE 1 END), 0)::int AS pending
        FROM ${edges} AS d JOIN ${table} AS t ON t.id = d.depends_on_id
       WHERE d.task_id = $1::text`,
    reopen: `UPDATE ${table} SET status = 'WAITING', finished_at = NULL, pending_dependencies = $1::int WHERE id = $2::text AND status = 'CANCELLED'`,
    // Each batch in a CTE, run once: as a subplan of \`id IN (…)\` the planner may scan it again per
    // row, and each scan skips the rows this statement already moved, taking more than the limit.
    retryMany: (filter) => `
      WITH batch AS (${batch(filter, 'AND pending_dependencies = 0 AND (unique_key IS NULL OR last_attempted_at IS NOT NULL)')})
      UPDATE ${table} AS t SET ${RETRIED} FROM batch
       WHERE t.id = batch.id AND t.status IN ('FAILED', 'CANCELLED')
      RETURNING t.queue_name`,
    runNowMany: (filter) => `
      WITH batch AS (${batch(filter, `AND run_after > ${NOW}`)})
      UPDATE ${table} AS t SET run_after = ${NOW} FROM batch
       WHERE t.id = batch.id AND t.status = 'READY' AND t.run_after > ${NOW}
      RETURNING t.queue_name`,
    cancelMany: (filter) => `
      WITH batch AS (${batch(filter, 'AND NOT has_dependents')})
      UPDATE ${table} AS t SET status = 'CANCELLED', finished_at = ${NOW} FROM batch
       WHERE t.id = batch.id AND t.status IN ('READY', 'WAITING')`,
    requestCancelMany: (filter) => `
      WITH batch AS (${batch(filter, 'AND NOT cancel_requested')})
      UPDATE ${table} AS t SET cancel_requested = true FROM batch
       WHERE t.id = batch.id AND t.status = 'RUNNING'`,
    cascadingIds: (filter) => batch(filter, 'AND has_dependents'),
    deletableIds: (filter) => batch(filter),
    deleteEdges: `DELETE FROM ${edges} WHERE task_id = ANY($1::text[])`,
    deleteByIds: `DELETE FROM ${table} WHERE id = ANY($1::text[]) AND status IN ('SUCCESSFUL', 'FAILED', 'CANCELLED')`,
    count: (filter) => `SELECT count(*)::int AS count FROM ${table} WHERE ${filterConditions(filter, $).where}`,
    list: (filter, afterCursor) => {
      const { where, params } = filterConditions(filter, $);
      const cursor = afterCursor ? `AND id < $${params + 1}::text` : '';
      return `SELECT * FROM ${table} WHERE ${where} ${cursor} ORDER BY id DESC LIMIT $${params + (afterCursor ? 2 : 1)}::int`;
    },
    queueCounts: `SELECT queue_name, status, count(*)::int AS count FROM ${table} GROUP BY queue_name, status ORDER BY queue_name, status`,
  };
}

/** The worker registry's statements of PostgreSQL for `table` (task_workers). */
export function postgresWorkerStatements(table: string): WorkerStatements {
  return {
    register: `
      INSERT INTO ${table} (id, host, pid, queues, concurrency, running, started_at, heartbeat_at, expires_at)
      VALUES ($1::text, $2::text, $3::int, $4::jsonb, $5::int, 0, ${NOW}, ${NOW}, ${afterNow('$6')})
      ON CONFLICT (id) DO UPDATE
         SET started_at = CASE WHEN ${table}.pid = EXCLUDED.pid AND ${table}.host = EXCLUDED.host THEN ${table}.started_at ELSE EXCLUDED.started_at END,
             host = EXCLUDED.host, pid = EXCLUDED.pid, queues = EXCLUDED.queues, concurrency = EXCLUDED.concurrency,
             running = 0, heartbeat_at = EXCLUDED.heartbeat_at, expires_at = EXCLUDED.expires_at`,
    heartbeat: `UPDATE ${table} SET running = $1::int, heartbeat_at = ${NOW}, expires_at = ${afterNow('$2')} WHERE id = $3::text`,
    remove: `DELETE FROM ${table} WHERE id = $1::text`,
    expire: `DELETE FROM ${table} WHERE expires_at < now()`,
    list: `SELECT * FROM ${table} WHERE expires_at >= now() ORDER BY id`,
  };
}
