import { INSERT_COLUMNS } from '../shared/insert-columns';
import { queueDepthStatement } from '../shared/queue-depth';
import { toUtcDateTime } from '../shared/task-row.mapper';
import type { WorkflowStatements } from '../workflow-statements.interface';

/** The database's clock, in UTC whatever the session's time zone. */
export const NOW = 'UTC_TIMESTAMP(3)';
/** The database's now plus a parameter in milliseconds (negative: before now). */
export const AFTER_NOW = `TIMESTAMPADD(MICROSECOND, ? * 1000, ${NOW})`;
const FINISHED = "('SUCCESSFUL', 'FAILED', 'CANCELLED')";
const QUEUE_DEPTH = queueDepthStatement();
/** The fence of every write by a worker: id, worker, attempt. */
const FENCE = "id = ? AND status = 'RUNNING' AND claimed_by = ? AND attempt = ?";

/**
 * queue: the queue is not paused (src/queues), one primary-key probe. Every walk of a claim
 * starts at a queue's highest priority (topPriorities, or the first probe of dueAlong), so a
 * paused queue has none there and no row of it is claimed.
 */
const NOT_PAUSED = 'NOT EXISTS (SELECT 1 FROM task_queues WHERE name = ? AND paused = 1)';

/** The columns a claim reads of a due row. */
export const DUE_COLUMNS = `id, task_name, queue_name, priority, args, kwargs, attempt, max_attempts, run_after,
           CAST(scheduled_at AS CHAR) AS scheduled_at, trace_context, ${NOW} AS claimed_at, has_dependents`;
/**
 * The same columns, of a probe's answer among due rows: a NULL id, a priority, and the queue
 * (an expression) it is for.
 */
const PROBE_COLUMNS = (queue: string) => `NULL AS id, NULL AS task_name, ${queue} AS queue_name, priority, NULL AS args,
           NULL AS kwargs, NULL AS attempt, NULL AS max_attempts, NULL AS run_after, NULL AS scheduled_at,
           NULL AS trace_context, NULL AS claimed_at, NULL AS has_dependents`;

/** queue, priority, limit: its due rows at that priority, oldest first, locked. */
const DUE_AT = `
    SELECT ${DUE_COLUMNS}
      FROM task_results
     WHERE status = 'READY' AND queue_name = ? AND priority = ? AND run_after <= ${NOW}
     ORDER BY run_after, id
     LIMIT ?
       FOR UPDATE SKIP LOCKED`;

/**
 * queue, queue, priority: the queue's next priority below `priority`, as a row of
 * PROBE_COLUMNS among DUE_AT's (one index probe).
 */
const NEXT_BELOW = `
    SELECT ${PROBE_COLUMNS('?')}
      FROM task_results
     WHERE status = 'READY' AND queue_name = ? AND priority < ?
     ORDER BY priority DESC
     LIMIT 1`;

/**
 * queue, priority, (queue, higher priorities when `guarded`), limit: DUE_AT, only if no row of
 * the higher priorities is due, with a NULL `probe` column. Rows of those locked by other
 * claimers are skipped as DUE_AT skips them: those claimers take them.
 */
const DUE_ALONG = (guarded: boolean) => `
    SELECT ${DUE_COLUMNS}, NULL AS probe
      FROM task_results
     WHERE status = 'READY' AND queue_name = ? AND priority = ? AND run_after <= ${NOW}${guarded ? `
       AND NOT EXISTS (SELECT 1 FROM task_results
                        WHERE status = 'READY' AND queue_name = ? AND priority IN (?) AND run_after <= ${NOW})` : ''}
     ORDER BY run_after, id
     LIMIT ?
       FOR UPDATE SKIP LOCKED`;

/**
 * probe number, queue, then below or (top) queue: the queue's highest priority (below `below`), as a row of
 * PROBE_COLUMNS among DUE_ALONG's, with the probe's number.
 */
const PRIORITY_PROBE = (withBelow: boolean) => `
    SELECT ${PROBE_COLUMNS('NULL')}, ? AS probe
      FROM task_results
     WHERE status = 'READY' AND queue_name = ?${withBelow ? ' AND priority < ?' : ` AND ${NOT_PAUSED}`}
     ORDER BY priority DESC
     LIMIT 1`;

/**
 * The named statements of the MySQL/MariaDB dialect, each readable alone; the same names as in
 * the other dialects. Parameters are positional, in the order of each comment. MySQL assigns
 * SET columns left to right, each expression seeing the columns already assigned: nothing below
 * reads a column assigned before it.
 */
export const MYSQL = {
  /** Per row, in the order of insertValues. */
  insertRow: `(?, ?, 'READY', ?, ?, ?, ?, ?, COALESCE(?, ${AFTER_NOW}), ${NOW}, ?, 0, '[]', '[]', 0, ?)`,
  insert: (rows: number) => `INSERT INTO task_results (${INSERT_COLUMNS}) VALUES ${Array(rows).fill(MYSQL.insertRow).join(', ')}`,

  /** after: the next queue with READY rows (one index probe). */
  nextQueue: "SELECT MIN(queue_name) AS name FROM task_results WHERE status = 'READY' AND queue_name > ?",
  firstQueue: "SELECT MIN(queue_name) AS name FROM task_results WHERE status = 'READY'",
  /**
   * (queue, queue, queue)… : for each queue not paused, the highest priority of its READY rows, with the queue it
   * is for; one index probe per branch, all in one round trip. Not MAX(): MariaDB reads the whole
   * range for a MAX over a descending key part.
   */
  topPriorities: (queues: number) => Array(queues).fill(`
    (SELECT ? AS queue, priority FROM task_results WHERE status = 'READY' AND queue_name = ? AND ${NOT_PAUSED}
      ORDER BY priority DESC LIMIT 1)`).join(' UNION ALL '),
  /**
   * (queue, priority, limit, queue, queue, priority)… : DUE_AT and NEXT_BELOW of several queues in
   * one round trip, each branch its own index range or probe.
   */
  dueIn: (buckets: number) => Array(buckets).fill(`(${DUE_AT}) UNION ALL (${NEXT_BELOW})`).join(' UNION ALL '),
  /**
   * DUE_ALONG, then PRIORITY_PROBE (0, queue), then PRIORITY_PROBE (step, queue, priority) for
   * each of the path's `steps` priorities: see DueRowProbes.dueAlong.
   */
  dueAlong: (steps: number) => [`(${DUE_ALONG(steps > 1)})`, `(${PRIORITY_PROBE(false)})`,
    ...Array.from({ length: steps }, () => `(${PRIORITY_PROBE(true)})`)].join(' UNION ALL '),
  /** worker, lease ms, worker, ids: see claimed(). */
  claim: `
    UPDATE task_results
       SET status = 'RUNNING', attempt = attempt + 1, claimed_by = ?, lease_expires_at = ${AFTER_NOW},
           started_at = COALESCE(started_at, ${NOW}), last_attempted_at = ${NOW},
           worker_ids = JSON_ARRAY_APPEND(worker_ids, '$', ?)
     WHERE id IN (?)`,

  /** (id, return value)…, ids, worker, (id, attempt)…: the common batch, successes, in one statement. */
  complete: (rows: number) => {
    const cases = Array(rows).fill('WHEN ? THEN ?').join(' ');
    return `
      UPDATE task_results FORCE INDEX (PRIMARY)
         SET status = IF(cancel_requested, 'CANCELLED', 'SUCCESSFUL'),
             return_value = IF(cancel_requested, return_value, CASE id ${cases} END),
             finished_at = ${NOW}, claimed_by = NULL, lease_expires_at = NULL
       WHERE id IN (?) AND status = 'RUNNING' AND claimed_by = ? AND attempt = CASE id ${cases} END AND has_dependents = 0`;
  },
  /**
   * status, status, return value ×2, run_at ×2, delay ms ×2, error ×2, uncharge ×3, id, worker,
   * attempt, with dependents (finishValues): applies any decided change, fenced; a requested
   * cancellation wins. A task that has dependents is finished only with the last one true, in
   * the transaction that settles them.
   */
  finish: `
    UPDATE task_results
       SET status = IF(cancel_requested, 'CANCELLED', ?),
           finished_at = IF(cancel_requested OR ? IN ${FINISHED}, ${NOW}, NULL),
           return_value = IF(cancel_requested OR ? IS NULL, return_value, ?),
           run_after = CASE WHEN cancel_requested THEN run_after
                            WHEN ? IS NOT NULL THEN CAST(? AS DATETIME(3))
                            WHEN ? IS NOT NULL THEN ${AFTER_NOW}
                            ELSE run_after END,
           errors = IF(? IS NULL, errors, JSON_ARRAY_APPEND(errors, '$', JSON_EXTRACT(?, '$'))),
           started_at = IF(? AND attempt = 1, NULL, started_at),
           worker_ids = IF(?, JSON_REMOVE(worker_ids, CONCAT('$[', JSON_LENGTH(worker_ids) - 1, ']')), worker_ids),
           attempt = attempt - ?,
           claimed_by = NULL, lease_expires_at = NULL
     WHERE ${FENCE} AND (has_dependents = 0 OR ?)`,

  /** ids, worker: read after renew, so a row read here was renewed (one rescued in between is not read). */
  held: "SELECT id, attempt, cancel_requested FROM task_results WHERE id IN (?) AND status = 'RUNNING' AND claimed_by = ?",
  /** lease ms, ids, worker: touches those rows by primary key only. */
  renew: `
    UPDATE task_results FORCE INDEX (PRIMARY) SET lease_expires_at = ${AFTER_NOW}
     WHERE id IN (?) AND status = 'RUNNING' AND claimed_by = ?`,

  /** limit: RUNNING rows whose lease has expired, with the database's now as ISO text. */
  expired: `
    SELECT id, attempt, max_attempts, claimed_by, DATE_FORMAT(${NOW}, '%Y-%m-%dT%H:%i:%s.%fZ') AS now FROM task_results
     WHERE status = 'RUNNING' AND lease_expires_at < ${NOW}
     LIMIT ?`,

  /** id. */
  cancelReady: `UPDATE task_results SET status = 'CANCELLED', finished_at = ${NOW}
                 WHERE id = ? AND status IN ('READY', 'WAITING') AND has_dependents = 0`,
  /** id. */
  cancelRunning: "UPDATE task_results SET cancel_requested = 1 WHERE id = ? AND status = 'RUNNING'",
  /** id. */
  status: 'SELECT status FROM task_results WHERE id = ?',

  /** progress, id, worker, attempt. */
  progress: `UPDATE task_results SET progress = ? WHERE ${FENCE}`,

  /** id. DATETIME columns as UTC text: mysql2 would read them as Dates in the process's time zone. */
  find: `SELECT id, task_name, status, queue_name, priority, args, kwargs, backend, max_attempts, errors, worker_ids,
                progress, return_value, claimed_by, cancel_requested, group_id, metadata, unique_key, ${
  ['run_after', 'enqueued_at', 'started_at', 'finished_at', 'last_attempted_at', 'lease_expires_at', 'scheduled_at']
    .map((column) => `CAST(${column} AS CHAR) AS ${column}`).join(', ')}
           FROM task_results WHERE id = ?`,

  /** statuses, before (absolute), before ms (relative), queues, limit. */
  prune: (byQueue: boolean) => `
    DELETE FROM task_results
     WHERE status IN (?) AND finished_at < COALESCE(?, ${AFTER_NOW}) ${byQueue ? 'AND queue_name IN (?)' : ''}
     LIMIT ?`,
  /** statuses, before, before ms, queues, limit: the ids prune would delete, locked (for the edges to go with them). */
  pruneIds: (byQueue: boolean) => `
    SELECT id FROM task_results
     WHERE status IN (?) AND finished_at < COALESCE(?, ${AFTER_NOW}) ${byQueue ? 'AND queue_name IN (?)' : ''}
     LIMIT ?
       FOR UPDATE`,
  /** ids: the edges from pruned tasks to their dependencies, then the tasks. */
  pruneEdges: 'DELETE FROM task_dependencies WHERE task_id IN (?)',
  pruneByIds: 'DELETE FROM task_results WHERE id IN (?)',

  now: `SELECT DATE_FORMAT(${NOW}, '%Y-%m-%dT%H:%i:%s.%fZ') AS now`,
  /** The tasks not finished, counted per queue and status (telemetry's queue depth). */
  queueDepth: QUEUE_DEPTH,

  /** The table exists; with the server's max_allowed_packet and version. */
  schema: `
    SELECT @@max_allowed_packet AS max_packet, VERSION() AS version
      FROM information_schema.tables
     WHERE table_schema = DATABASE() AND table_name = 'task_results'`,
} as const;

const PENDING = "('WAITING', 'READY')";
const list = (count: number) => Array(count).fill('?').join(', ');

/** The workflow statements of the MySQL/MariaDB dialect (see WorkflowStatements). */
export const MYSQL_WORKFLOW: WorkflowStatements = {
  formatDate: toUtcDateTime,
  insertTasks: (rows) => `
    INSERT INTO task_results (${INSERT_COLUMNS}, group_id, group_position, metadata, pending_dependencies, on_dependency_failure, pipe, release_delay_ms)
    VALUES ${Array(rows).fill(`(?, ?, ?, ?, ?, ?, ?, ?, COALESCE(?, ${AFTER_NOW}), ${NOW}, ?, 0, '[]', '[]', 0, ?, ?, ?, ?, ?, ?, ?, ?)`).join(', ')}`,
  insertEdges: (rows) => `INSERT INTO task_dependencies (task_id, depends_on_id, position) VALUES ${Array(rows).fill('(?, ?, ?)').join(', ')}`,
  lockTasks: (count) => `SELECT id, status, return_value FROM task_results WHERE id IN (${list(count)}) ORDER BY id FOR UPDATE`,
  markHasDependents: (count) => `UPDATE task_results SET has_dependents = 1 WHERE id IN (${list(count)})`,
  waitingDependents: `
    SELECT t.id, t.queue_name, t.pending_dependencies, t.on_dependency_failure, t.pipe, t.has_dependents
      FROM task_dependencies AS d JOIN task_results AS t ON t.id = d.task_id
     WHERE d.depends_on_id = ? AND t.status = 'WAITING'
     ORDER BY t.id
       FOR UPDATE`,
  decrementPending: 'UPDATE task_results SET pending_dependencies = pending_dependencies - 1 WHERE id = ?',
  release: `
    UPDATE task_results
       SET run_after = IF(release_delay_ms IS NULL, run_after, TIMESTAMPADD(MICROSECOND, release_delay_ms * 1000, ${NOW})),
           status = 'READY', pending_dependencies = 0, args = COALESCE(?, args)
     WHERE id = ? AND status = 'WAITING'`,
  cancelWithError: `
    UPDATE task_results SET status = 'CANCELLED', finished_at = ${NOW}, errors = JSON_ARRAY_APPEND(errors, '$', JSON_EXTRACT(?, '$'))
     WHERE id = ? AND status IN ${PENDING}`,
  cancelPending: `UPDATE task_results SET status = 'CANCELLED', finished_at = ${NOW} WHERE id = ? AND status IN ${PENDING}`,
  dependencyValues: `
    SELECT t.return_value FROM task_dependencies AS d JOIN task_results AS t ON t.id = d.depends_on_id
     WHERE d.task_id = ? ORDER BY d.position`,
  taskArgs: 'SELECT args, pipe FROM task_results WHERE id = ?',
  lockTask: 'SELECT status, has_dependents FROM task_results WHERE id = ? FOR UPDATE',
  dependencyIds: 'SELECT depends_on_id AS id FROM task_dependencies WHERE task_id = ? ORDER BY position',
  dependentIds: 'SELECT task_id AS id FROM task_dependencies WHERE depends_on_id = ? ORDER BY task_id',
  groupRows: `SELECT id, task_name, status, queue_name, priority, args, kwargs, backend, max_attempts, errors, worker_ids,
                     progress, return_value, claimed_by, cancel_requested, group_id, group_position, metadata, ${
  ['run_after', 'enqueued_at', 'started_at', 'finished_at', 'last_attempted_at', 'lease_expires_at']
    .map((column) => `CAST(${column} AS CHAR) AS ${column}`).join(', ')}
                FROM task_results WHERE group_id = ? ORDER BY group_position`,
  forgetTask: `DELETE FROM task_results WHERE id = ? AND status IN ${FINISHED}`,
  forgetEdges: 'DELETE FROM task_dependencies WHERE task_id = ?',
};
