import { FINISHED_STATUSES } from '../../task-result-status.enum';
import { INSERT_COLUMNS } from '../shared/insert-columns';
import { queueDepthStatement as queueDepth } from '../shared/queue-depth';
import { ENQUEUED_CHANNEL } from './pg-channels';
import type { WorkflowStatements } from '../workflow-statements.interface';

const FINISHED_LITERALS = FINISHED_STATUSES.map((status) => `'${status}'`).join(', ');
/**
 * The database's now plus `ms` milliseconds: the one clock. Times are stored to the millisecond,
 * truncated here: timestamptz(3) would round now() up half the time, and a row enqueued then
 * would not be due to a claim in the next half millisecond.
 */
const afterNow = (ms: string) => `date_trunc('milliseconds', now() + ${ms} * interval '1 millisecond')`;
/** The database's now, as stored. */
const STORED_NOW = "date_trunc('milliseconds', now())";

/**
 * The named statements of the PostgreSQL dialect for `table`, the same names as in the other
 * dialects. 'READY' is a literal throughout: the claim index is partial on it.
 */
export function postgresStatements(table: string, edges: string, queueTable: string) {
  /**
   * Paused queues are claimed by no one. They are left out where the queues are listed, once per
   * statement (a hashed subplan over the few paused names): a probe inside the walk below, per
   * queue and priority, made every claim several times slower.
   */
  const PAUSED = `SELECT name FROM ${queueTable} WHERE paused`;
  /**
   * Due rows of one queue (${queue}) in claim order, one index range per priority present: the
   * priorities are found by skipping through the index from the highest down, and each range
   * starts at the oldest due row and stops at the first one scheduled later. Rows scheduled or
   * backing off are never read, whatever their number or priority. Lazily evaluated: the outer
   * LIMIT stops the walk once enough rows are found.
   */
  const dueInQueue = (queue: string, gate = '') => `
    SELECT due.id, due.priority, due.run_after FROM (
      WITH RECURSIVE priorities(priority) AS (
        SELECT max(priority) FROM ${table} WHERE status = 'READY' AND queue_name = ${queue}${gate}
        UNION ALL
        SELECT (SELECT max(priority) FROM ${table} WHERE status = 'READY' AND queue_name = ${queue} AND priority < p.priority)
          FROM priorities AS p WHERE p.priority IS NOT NULL
      )
      SELECT priority FROM priorities WHERE priority IS NOT NULL
    ) AS p CROSS JOIN LATERAL (
      SELECT id, priority, run_after FROM ${table}
       WHERE status = 'READY' AND queue_name = ${queue} AND priority = p.priority AND run_after <= now()
       ORDER BY run_after, id
       LIMIT $3::int
         FOR UPDATE SKIP LOCKED
    ) AS due
    LIMIT $3::int`;
  // Across queues, the first rows of each queue (index ranges each) are merged rather than every
  // READY row of them sorted. Rows locked there but not taken are released when the statement commits.
  const dueInQueues = (queues: string) => `
    SELECT head.id FROM ${queues} CROSS JOIN LATERAL (${dueInQueue('q.name')}) AS head
     ORDER BY head.priority DESC, head.run_after, head.id
     LIMIT $3::int`;
  // Any queue: the queues that have READY rows, found by skipping through the index.
  const queuesWithReadyRows = `
    WITH RECURSIVE ready_queue(name) AS (
      SELECT min(queue_name) FROM ${table} WHERE status = 'READY'
      UNION ALL
      SELECT (SELECT min(queue_name) FROM ${table} WHERE status = 'READY' AND queue_name > r.name)
        FROM ready_queue AS r WHERE r.name IS NOT NULL
    )`;
  /** $1 worker, $2 lease ms, $3 limit, $4 queue(s): see claimed(). */
  const claim = (due: string, prelude = '') => `
    ${prelude}
    UPDATE ${table} AS t
       SET status = 'RUNNING', attempt = t.attempt + 1, claimed_by = $1::text, lease_expires_at = ${afterNow('$2::float8')},
           started_at = COALESCE(t.started_at, now()), last_attempted_at = now(),
           worker_ids = t.worker_ids || to_jsonb($1::text)
      FROM (${due}) AS due
     WHERE t.id = due.id
    RETURNING t.id, t.task_name, t.queue_name, t.priority, t.args, t.kwargs, t.attempt, t.max_attempts, t.run_after, t.scheduled_at,
              t.trace_context, t.last_attempted_at AS claimed_at, t.has_dependents`;
  /** One array per column, in the order of insertValues. */
  const insert = `
    INSERT INTO ${table} (${INSERT_COLUMNS})
    SELECT id, task_name, 'READY', queue_name, priority, args::jsonb, kwargs::jsonb, backend,
           COALESCE(run_at, ${afterNow('delay_ms')}), ${STORED_NOW}, max_attempts, 0, '[]', '[]', false, trace_context
      FROM unnest($1::text[], $2::text[], $3::text[], $4::smallint[], $5::text[], $6::text[], $7::text[],
                  $8::timestamptz[], $9::float8[], $10::int[], $11::text[])
           AS n(id, task_name, queue_name, priority, args, kwargs, backend, run_at, delay_ms, max_attempts, trace_context)`;
  /**
   * A batch whose rows differ only in id and arguments (enqueueMany): those three arrays, the
   * rest once, in the order of insertValues ($4 task_name … $11 trace_context). Half the bytes
   * to send and to unnest of the per-row form.
   */
  const insertUniform = `
    INSERT INTO ${table} (${INSERT_COLUMNS})
    SELECT id, $4::text, 'READY', $5::text, $6::smallint, args::jsonb, kwargs::jsonb, $7::text,
           COALESCE($8::timestamptz, ${afterNow('$9::float8')}), ${STORED_NOW}, $10::int, 0, '[]', '[]', false, $11::text
      FROM unnest($1::text[], $2::text[], $3::text[]) AS n(id, args, kwargs)`;
  return {
    insert,
    insertAndNotify: `
      WITH inserted AS (${insert} RETURNING queue_name)
      SELECT pg_notify('${ENQUEUED_CHANNEL}', queue_name) FROM (SELECT DISTINCT queue_name FROM inserted) AS queues`,
    insertUniform,
    insertUniformAndNotify: `
      WITH inserted AS (${insertUniform} RETURNING 1)
      SELECT pg_notify('${ENQUEUED_CHANNEL}', $5::text) FROM (SELECT 1 FROM inserted LIMIT 1) AS any_row`,
    // One queue: a paused one has no highest priority, so the walk has nowhere to start.
    claimOneQueue: claim(dueInQueue('$4::text', ` AND $4::text NOT IN (${PAUSED})`)),
    claimQueues: claim(dueInQueues(`(SELECT name FROM unnest($4::text[]) AS u(name) WHERE name NOT IN (${PAUSED})) AS q`)),
    claimAnyQueue: claim(dueInQueues(`(SELECT name FROM ready_queue WHERE name IS NOT NULL AND name NOT IN (${PAUSED})) AS q`),
      queuesWithReadyRows),
    /** claimAnyQueue but the queues of $4, which this worker claims under their limits (src/limits). */
    claimAnyQueueExcept: claim(dueInQueues(
      `(SELECT name FROM ready_queue WHERE name IS NOT NULL AND name <> ALL($4::text[]) AND name NOT IN (${PAUSED})) AS q`),
    queuesWithReadyRows),
    /**
     * Applies decided changes (TaskChange), fenced on RUNNING, owner and attempt; with $1 true
     * also on an expired lease (a rescue). A cancellation requested before it runs wins.
     * $1 rescue, then one array per field: id, worker, attempt, status, return value, error,
     * run_at, delay ms, uncharge. Returns the rows written, with their status.
     */
    finish: `
      WITH o AS (
        -- The changes joined with their rows here, once: the update then joins one relation to
        -- the table by primary key (joining two CTEs to each other can be planned quadratically).
        SELECT t.id, o.status, o.return_value, o.error, o.run_at, o.delay_ms, o.uncharge
          FROM ${table} AS t
          JOIN unnest($2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::timestamptz[], $9::float8[], $10::bool[])
                 AS o(id, worker, attempt, status, return_value, error, run_at, delay_ms, uncharge) ON o.id = t.id
         WHERE t.status = 'RUNNING' AND t.claimed_by = o.worker AND t.attempt = o.attempt
           AND (NOT $1::bool OR t.lease_expires_at < now())
           -- A task that has dependents is finished with them, in a transaction ($11 true: see finish()).
           AND ($11::bool OR NOT t.has_dependents)
         ORDER BY t.id
           FOR UPDATE OF t
      ), written AS (
        UPDATE ${table} AS t
           SET status = CASE WHEN t.cancel_requested THEN 'CANCELLED' ELSE o.status END,
               finished_at = CASE WHEN t.cancel_requested OR o.status IN (${FINISHED_LITERALS}) THEN now() END,
               return_value = CASE WHEN t.cancel_requested OR o.return_value IS NULL THEN t.return_value ELSE o.return_value::jsonb END,
               run_after = CASE WHEN t.cancel_requested THEN t.run_after
                                WHEN o.run_at IS NOT NULL THEN o.run_at
                                WHEN o.delay_ms IS NOT NULL THEN ${afterNow('o.delay_ms')}
                                ELSE t.run_after END,
               errors = CASE WHEN o.error IS NULL THEN t.errors ELSE t.errors || jsonb_build_array(o.error::jsonb) END,
               attempt = CASE WHEN o.uncharge THEN t.attempt - 1 ELSE t.attempt END,
               worker_ids = CASE WHEN o.uncharge THEN t.worker_ids - -1 ELSE t.worker_ids END,
               started_at = CASE WHEN o.uncharge AND t.attempt = 1 THEN NULL ELSE t.started_at END,
               claimed_by = NULL, lease_expires_at = NULL
          FROM o
         WHERE t.id = o.id
        RETURNING t.id, t.status, t.has_dependents
      )
      SELECT id, status, has_dependents FROM written`,
    /** $1 worker, $2 lease ms, $3 ids. Locks in id order, as finish does: the two run concurrently for one worker. */
    renew: `
      UPDATE ${table} AS t SET lease_expires_at = ${afterNow('$2::float8')}
        FROM (SELECT id FROM ${table} WHERE id = ANY($3::text[]) AND status = 'RUNNING' AND claimed_by = $1::text ORDER BY id FOR UPDATE) AS held
       WHERE t.id = held.id AND t.status = 'RUNNING' AND t.claimed_by = $1::text
      RETURNING t.id, t.attempt, t.cancel_requested`,
    /** $1 limit: RUNNING rows whose lease has expired, with the database's now. */
    expired: `
      SELECT id, attempt, max_attempts, claimed_by, now() AS now FROM ${table}
       WHERE status = 'RUNNING' AND lease_expires_at < now()
       LIMIT $1::int`,
    /** $1 id. */
    cancelReady: `UPDATE ${table} SET status = 'CANCELLED', finished_at = now()
                   WHERE id = $1::text AND status IN ('READY', 'WAITING') AND NOT has_dependents`,
    /** $1 id. */
    cancelRunning: `UPDATE ${table} SET cancel_requested = true WHERE id = $1::text AND status = 'RUNNING'`,
    /** $1 id. */
    status: `SELECT status FROM ${table} WHERE id = $1::text`,
    /** $1 id, $2 worker, $3 attempt, $4 progress. */
    progress: `
      UPDATE ${table} SET progress = $4::jsonb
       WHERE id = $1::text AND status = 'RUNNING' AND claimed_by = $2::text AND attempt = $3::int`,
    /** $1 id. */
    find: `SELECT * FROM ${table} WHERE id = $1::text`,
    /**
     * $1 before (absolute) or $2 ms relative to now, $3 limit, $4 queues. Literal statuses
     * (checked against the enum) let the planner use the partial index of finished rows.
     */
    prune: (statusLiterals: string, byQueue: boolean) => `
      WITH pruned AS (
        DELETE FROM ${table} WHERE id IN (
          SELECT id FROM ${table}
           WHERE status IN (${statusLiterals}) AND finished_at < COALESCE($1::timestamptz, ${afterNow('$2::float8')})
             ${byQueue ? 'AND queue_name = ANY($4::text[])' : ''}
           LIMIT $3::int)
        RETURNING id
      ), edges AS (
        -- The edges from pruned tasks to their dependencies go with them.
        DELETE FROM ${edges} WHERE task_id IN (SELECT id FROM pruned)
      )
      SELECT count(*)::int AS deleted FROM pruned`,
    now: 'SELECT now() AS now',
    /** The tasks not finished, counted per queue and status (telemetry's queue depth). */
    queueDepth: queueDepth(table),
    schema: 'SELECT to_regclass($1)::text AS found',
  };
}

const PENDING = "('WAITING', 'READY')";

/** The workflow statements of the PostgreSQL dialect for `table` (see WorkflowStatements); `edges` is task_dependencies. */
export function postgresWorkflowStatements(table: string, edges: string): WorkflowStatements {
  const list = (count: number, from = 1) => Array.from({ length: count }, (_, index) => `$${index + from}::text`).join(', ');
  return {
    formatDate: (date) => date.toISOString(),
    insertTasks: (rows) => `
      INSERT INTO ${table} (${INSERT_COLUMNS}, group_id, group_position, metadata, pending_dependencies, on_dependency_failure, pipe, release_delay_ms)
      VALUES ${Array.from({ length: rows }, (_, row) => {
    const $ = (n: number) => `$${row * 19 + n}`;
    return `(${$(1)}::text, ${$(2)}::text, ${$(3)}::text, ${$(4)}::text, ${$(5)}::smallint, ${$(6)}::jsonb, ${$(7)}::jsonb, ${$(8)}::text,
              COALESCE(${$(9)}::timestamptz, ${afterNow(`${$(10)}::float8`)}), now(), ${$(11)}::int, 0, '[]', '[]', false, ${$(12)}::text,
              ${$(13)}::text, ${$(14)}::int, ${$(15)}::jsonb, ${$(16)}::int, ${$(17)}::text, ${$(18)}::smallint, ${$(19)}::int)`;
  }).join(', ')}`,
    insertEdges: (rows) => `INSERT INTO ${edges} (task_id, depends_on_id, position) VALUES ${
      Array.from({ length: rows }, (_, row) => `($${row * 3 + 1}::text, $${row * 3 + 2}::text, $${row * 3 + 3}::int)`).join(', ')}`,
    lockTasks: (count) => `SELECT id, status, return_value FROM ${table} WHERE id IN (${list(count)}) ORDER BY id FOR UPDATE`,
    markHasDependents: (count) => `UPDATE ${table} SET has_dependents = true WHERE id IN (${list(count)})`,
    waitingDependents: `
      SELECT t.id, t.queue_name, t.pending_dependencies, t.on_dependency_failure, t.pipe, t.has_dependents
        FROM ${edges} AS d JOIN ${table} AS t ON t.id = d.task_id
       WHERE d.depends_on_id = $1::text AND t.status = 'WAITING'
       ORDER BY t.id
         FOR UPDATE OF t`,
    decrementPending: `UPDATE ${table} SET pending_dependencies = pending_dependencies - 1 WHERE id = $1::text`,
    release: `
      UPDATE ${table}
         SET status = 'READY', pending_dependencies = 0, args = COALESCE($1::jsonb, args),
             run_after = CASE WHEN release_delay_ms IS NULL THEN run_after ELSE ${afterNow('release_delay_ms')} END
       WHERE id = $2::text AND status = 'WAITING'`,
    cancelWithError: `
      UPDATE ${table} SET status = 'CANCELLED', finished_at = now(), errors = errors || jsonb_build_array($1::jsonb)
       WHERE id = $2::text AND status IN ${PENDING}`,
    cancelPending: `UPDATE ${table} SET status = 'CANCELLED', finished_at = now() WHERE id = $1::text AND status IN ${PENDING}`,
    dependencyValues: `
      SELECT t.return_value FROM ${edges} AS d JOIN ${table} AS t ON t.id = d.depends_on_id
       WHERE d.task_id = $1::text ORDER BY d.position`,
    taskArgs: `SELECT args, pipe FROM ${table} WHERE id = $1::text`,
    lockTask: `SELECT status, has_dependents FROM ${table} WHERE id = $1::text FOR UPDATE`,
    dependencyIds: `SELECT depends_on_id AS id FROM ${edges} WHERE task_id = $1::text ORDER BY position`,
    dependentIds: `SELECT task_id AS id FROM ${edges} WHERE depends_on_id = $1::text ORDER BY task_id`,
    groupRows: `SELECT * FROM ${table} WHERE group_id = $1::text ORDER BY group_position`,
    forgetTask: `DELETE FROM ${table} WHERE id = $1::text AND status IN (${FINISHED_LITERALS})`,
    forgetEdges: `DELETE FROM ${edges} WHERE task_id = $1::text`,
  };
}
