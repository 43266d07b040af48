import { INSERT_COLUMNS, runAfterParams } from '../shared/insert-columns';
import type { NewTaskRow } from '../task-dialect.interface';
import { queueDepthStatement } from '../shared/queue-depth';

const QUEUE_DEPTH = queueDepthStatement();
import type { WorkflowStatements } from '../workflow-statements.interface';
import { toSqliteDate } from '../shared/task-row.mapper';

/**
 * SQLite's clock, in the format rows are stored in (`YYYY-MM-DD HH:MM:SS.SSS`, UTC, as TypeORM
 * writes it), so text comparison is time order and the claim index stays usable. 'now' is the
 * same for the whole statement.
 */
export const NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now')";
/** The database's now plus a parameter in milliseconds (negative: before now). */
export const AFTER_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now', printf('%+.3f seconds', ? / 1000.0))";
/** A time given as two parameters, `[text, null]` absolute or `[null, ms]` relative (see timeParams). */
const TIME = `COALESCE(?, ${AFTER_NOW})`;

/** The highest priority of a queue's READY rows (queue). */
const TOP_PRIORITY = "(SELECT max(priority) FROM task_results WHERE status = 'READY' AND queue_name = ?)";

/**
 * Up to `limit` due rows of one queue in claim order, one index range per priority present:
 * the priorities are found by seeking through the claim index from the highest down (a lazy
 * co-routine), and each range starts at the oldest due row and stops at the first one scheduled
 * later, so rows scheduled or backing off are never read, whatever their number or priority.
 * queue, queue, queue, limit.
 */
const dueInQueue = (index: number) => `
  WITH RECURSIVE p${index}(priority) AS (
    SELECT ${TOP_PRIORITY}
    UNION ALL
    SELECT (SELECT max(priority) FROM task_results WHERE status = 'READY' AND queue_name = ? AND priority < p.priority)
      FROM p${index} AS p WHERE p.priority IS NOT NULL
  )
  SELECT t.id, t.priority, t.run_after FROM p${index} AS p CROSS JOIN task_results AS t
   WHERE p.priority IS NOT NULL AND t.status = 'READY' AND t.queue_name = ? AND t.priority = p.priority AND t.run_after <= ${NOW}
   LIMIT ?`;

/** worker, lease ms, worker: what a claimed row becomes (see claimed()). */
export const CLAIMED = `status = 'RUNNING', attempt = attempt + 1, claimed_by = ?, lease_expires_at = ${AFTER_NOW},
           started_at = COALESCE(started_at, ${NOW}), last_attempted_at = ${NOW},
           worker_ids = json_insert(worker_ids, '$[#]', ?)`;
export const CLAIMED_COLUMNS = 'id, task_name, queue_name, priority, args, kwargs, attempt, max_attempts, run_after, scheduled_at, trace_context, last_attempted_at AS claimed_at, has_dependents';

const FINISHED = "('SUCCESSFUL', 'FAILED', 'CANCELLED')";
const list = (count: number) => Array(count).fill('?').join(', ');

/**
 * The named statements of the SQLite dialect, each readable alone; the same names as in the
 * other dialects. Parameters are positional, in the order of each comment.
 */
export const SQLITE = {
  /**
   * id, task_name, queue_name, priority, args, kwargs, backend, run_at, now, delay_ms, now,
   * max_attempts, trace_context (sqliteInsertValues). An insert transaction reads the clock once
   * (SQLITE.now, as PostgreSQL's now() is its transaction's start) and binds it as `now`, rather
   * than format it twice per row; a null `now` makes the statement read the clock itself.
   */
  insert: `
    INSERT INTO task_results (${INSERT_COLUMNS})
    VALUES (?, ?, 'READY', ?, ?, ?, ?, ?,
      COALESCE(?, strftime('%Y-%m-%d %H:%M:%f', COALESCE(?, 'now'), printf('%+.3f seconds', ? / 1000.0))),
      COALESCE(?, ${NOW}), ?, 0, '[]', '[]', 0, ?)`,

  /** The queues no worker claims until resumed (src/queues). */
  pausedQueues: 'SELECT name FROM task_queues WHERE paused',
  /** For a claim of every queue: the next queue with READY rows after ? ('' for the first). */
  nextQueue: `SELECT min(queue_name) AS name FROM task_results WHERE status = 'READY' AND queue_name > ?`,
  /**
   * worker, lease ms, worker, queue, queue, limit, queue, queue, queue, limit, limit: up to
   * `limit` due rows of one queue's two highest priorities, as `claim` takes them: two index
   * ranges, the second read only if the first comes short (SQLite stops a compound at its LIMIT).
   * Most claims are filled by it, including those behind rows of a higher priority scheduled for
   * later, for less than the walk through every priority of `claim` costs.
   */
  claimTop: `
    UPDATE task_results
       SET ${CLAIMED}
     WHERE id IN (
             SELECT id FROM (
               SELECT id FROM task_results
                WHERE status = 'READY' AND queue_name = ? AND priority = ${TOP_PRIORITY} AND run_after <= ${NOW}
                LIMIT ?)
             UNION ALL
             SELECT id FROM (
               SELECT id FROM task_results
                WHERE status = 'READY' AND queue_name = ? AND run_after <= ${NOW}
                  AND priority = (SELECT max(priority) FROM task_results WHERE status = 'READY' AND queue_name = ? AND priority < ${TOP_PRIORITY})
                LIMIT ?)
             LIMIT ?)
    RETURNING ${CLAIMED_COLUMNS}`,
  /**
   * worker, lease ms, worker, then (queue, queue, queue, limit) per queue, then limit: up to
   * `limit` due rows of the queues, RUNNING under a lease, attempt + 1 (see claimed()).
   */
  claim: (queues: number) => `
    UPDATE task_results
       SET ${CLAIMED}
     WHERE id IN (${queues === 1 ? `SELECT id FROM (${dueInQueue(0)}) LIMIT ?` : `
                  SELECT id FROM (${Array.from({ length: queues }, (_, index) => `SELECT * FROM (${dueInQueue(index)})`).join(' UNION ALL ')})
                   ORDER BY priority DESC, run_after, id
                   LIMIT ?`})
    RETURNING ${CLAIMED_COLUMNS}`,
  /**
   * return_value, id, worker, attempt: the common change, a success of a task nothing depends on,
   * with only the columns it sets; a cancellation requested before it runs wins (see
   * ifCancelRequested). A task with dependents is left to `finish`, which says what to settle.
   */
  complete: `
    UPDATE task_results
       SET status = CASE WHEN cancel_requested THEN 'CANCELLED' ELSE 'SUCCESSFUL' END,
           return_value = CASE WHEN cancel_requested THEN return_value ELSE ? END,
           finished_at = ${NOW}, claimed_by = NULL, lease_expires_at = NULL
     WHERE id = ? AND status = 'RUNNING' AND claimed_by = ? AND attempt = ? AND NOT has_dependents`,
  /**
   * status, finished (0/1), return_value, run_at, run_at, delay_ms, delay_ms, error, error,
   * uncharge, uncharge, uncharge, id, worker, attempt (finishValues). Applies a decided change,
   * fenced; a cancellation requested before it runs wins (see ifCancelRequested). Whether the
   * status is final comes as a parameter: an IN list here would build a temporary index on
   * every execution, which cost more than the rest of the statement.
   */
  finish: `
    UPDATE task_results
       SET status = CASE WHEN cancel_requested THEN 'CANCELLED' ELSE ? END,
           finished_at = CASE WHEN cancel_requested OR ? THEN ${NOW} END,
           return_value = CASE WHEN cancel_requested THEN return_value ELSE COALESCE(?, return_value) END,
           run_after = CASE WHEN cancel_requested THEN run_after
                            WHEN ? IS NOT NULL THEN ?
                            WHEN ? IS NOT NULL THEN ${AFTER_NOW}
                            ELSE run_after END,
           errors = CASE WHEN ? IS NULL THEN errors ELSE json_insert(errors, '$[#]', json(?)) END,
           attempt = attempt - ?,
           worker_ids = CASE WHEN ? THEN json_remove(worker_ids, '$[#-1]') ELSE worker_ids END,
           started_at = CASE WHEN ? AND attempt = 1 THEN NULL ELSE started_at END,
           claimed_by = NULL, lease_expires_at = NULL
     WHERE id = ? AND status = 'RUNNING' AND claimed_by = ? AND attempt = ?
    RETURNING status, has_dependents`,

  /** lease_ms, worker, ids (JSON array). */
  renew: `
    UPDATE task_results SET lease_expires_at = ${AFTER_NOW}
     WHERE status = 'RUNNING' AND claimed_by = ? AND id IN (SELECT value FROM json_each(?))
    RETURNING id, attempt, cancel_requested`,

  /** limit: RUNNING rows whose lease has expired, with the database's now. */
  expired: `
    SELECT id, attempt, max_attempts, claimed_by, ${NOW} AS now FROM task_results
     WHERE status = 'RUNNING' AND lease_expires_at < ${NOW}
     LIMIT ?`,

  /** id: READY or WAITING → CANCELLED, for a task without dependents (one with them cancels them in the same transaction). */
  cancelReady: `UPDATE task_results SET status = 'CANCELLED', finished_at = ${NOW}
                 WHERE id = ? AND status IN ('READY', 'WAITING') AND NOT has_dependents`,
  /** id. */
  cancelRunning: `UPDATE task_results SET cancel_requested = 1 WHERE id = ? AND status = 'RUNNING'`,
  /** id. */
  status: `SELECT status FROM task_results WHERE id = ?`,

  /** progress, id, worker, attempt. */
  progress: `
    UPDATE task_results SET progress = ?
     WHERE id = ? AND status = 'RUNNING' AND claimed_by = ? AND attempt = ?`,

  /** id. */
  find: `SELECT * FROM task_results WHERE id = ?`,

  /** statuses…, before_at, before_delay_ms, queues…, limit. Returns the ids deleted. */
  prune: (statuses: number, queues: number | null) => `
    DELETE FROM task_results WHERE id IN (
      SELECT id FROM task_results
       WHERE status IN (${list(statuses)}) AND finished_at < ${TIME}
         ${queues === null ? '' : `AND queue_name IN (${list(queues)})`}
       LIMIT ?)
    RETURNING id`,
  /** ids (JSON array): the edges from pruned tasks to their dependencies. */
  pruneEdges: 'DELETE FROM task_dependencies WHERE task_id IN (SELECT value FROM json_each(?))',

  /** The database's clock. */
  now: `SELECT ${NOW} AS now`,
  /** The tasks not finished, counted per queue and status (telemetry's queue depth). */
  queueDepth: QUEUE_DEPTH,

  schema: `SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = 'task_results'`,
} as const;

const WORKFLOW_COLUMNS = `${INSERT_COLUMNS}, group_id, group_position, metadata, pending_dependencies, on_dependency_failure, pipe, release_delay_ms`;
const PENDING = "('WAITING', 'READY')";

/** The workflow statements of the SQLite dialect (see WorkflowStatements); one writer at a time, so no row locks. */
export const SQLITE_WORKFLOW: WorkflowStatements = {
  formatDate: toSqliteDate,
  insertTasks: (rows) => `
    INSERT INTO task_results (${WORKFLOW_COLUMNS})
    VALUES ${Array(rows).fill(`(?, ?, ?, ?, ?, ?, ?, ?, ${TIME}, ${NOW}, ?, 0, '[]', '[]', 0, ?, ?, ?, ?, ?, ?, ?, ?)`).join(', ')}`,
  insertEdges: (rows) => `INSERT INTO task_dependencies (task_id, depends_on_id, position) VALUES ${Array(rows).fill('(?, ?, ?)').join(', ')}`,
  lockTasks: (count) => `SELECT id, status, return_value FROM task_results WHERE id IN (${list(count)})`,
  markHasDependents: (count) => `UPDATE task_results SET has_dependents = 1 WHERE id IN (${list(count)})`,
  waitingDependents: `
    SELECT t.id, t.queue_name, t.pending_dependencies, t.on_dependency_failure, t.pipe, t.has_dependents
      FROM task_dependencies AS d JOIN task_results AS t ON t.id = d.task_id
     WHERE d.depends_on_id = ? AND t.status = 'WAITING'
     ORDER BY t.id`,
  decrementPending: 'UPDATE task_results SET pending_dependencies = pending_dependencies - 1 WHERE id = ?',
  release: `
    UPDATE task_results
       SET status = 'READY', pending_dependencies = 0, args = COALESCE(json(?), args),
           run_after = CASE WHEN release_delay_ms IS NULL THEN run_after ELSE ${AFTER_NOW.replace('?', 'release_delay_ms')} END
     WHERE id = ? AND status = 'WAITING'`,
  cancelWithError: `
    UPDATE task_results SET status = 'CANCELLED', finished_at = ${NOW}, errors = json_insert(errors, '$[#]', json(?))
     WHERE id = ? AND status IN ${PENDING}`,
  cancelPending: `UPDATE task_results SET status = 'CANCELLED', finished_at = ${NOW} WHERE id = ? AND status IN ${PENDING}`,
  dependencyValues: `
    SELECT t.return_value FROM task_dependencies AS d JOIN task_results AS t ON t.id = d.depends_on_id
     WHERE d.task_id = ? ORDER BY d.position`,
  taskArgs: 'SELECT args, pipe FROM task_results WHERE id = ?',
  lockTask: 'SELECT status, has_dependents FROM task_results WHERE id = ?',
  dependencyIds: 'SELECT depends_on_id AS id FROM task_dependencies WHERE task_id = ? ORDER BY position',
  dependentIds: 'SELECT task_id AS id FROM task_dependencies WHERE depends_on_id = ? ORDER BY task_id',
  groupRows: 'SELECT * FROM task_results WHERE group_id = ? ORDER BY group_position',
  forgetTask: `DELETE FROM task_results WHERE id = ? AND status IN ${FINISHED}`,
  forgetEdges: 'DELETE FROM task_dependencies WHERE task_id = ?',
};

/**
 * The values of SQLITE.insert for `row`: with the transaction's `now` (null: the statement reads
 * the clock), a row to run now is bound it as its run_after, and only a delayed one formats a time.
 */
export function sqliteInsertValues(row: NewTaskRow, now: string | null, formatDate: (date: Date) => string): unknown[] {
  const [at, delay] = runAfterParams(row);
  const runAfter = at !== null ? formatDate(at) : delay === 0 ? now : null;
  return [row.id, row.taskName, row.queueName, row.priority, row.args, row.kwargs, row.backend,
    runAfter, now, delay, now, row.maxAttempts, row.traceContext ?? null];
}
