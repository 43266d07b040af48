import { Logger } from '@nestjs/common';
import type { Client, ClientConfig, Notification, Pool, QueryConfig, QueryResult, QueryResultRow } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import { FINISHED_STATUSES, TaskResultStatus } from '../task-result-status.enum';
import type { TaskError } from '../interfaces/task-error.interface';
import {
  CancelOutcome,
  ClaimedTask,
  ClaimRequest,
  LeaseRenewal,
  NewTaskRow,
  PruneRequest,
  TaskDialect,
  TaskOutcome,
} from './task-dialect.interface';
import { dateFormatter, mapTaskRow } from './task-row.mapper';
import { missingTableError } from './sqlite.dialect';
import { writeOutcomesSafely } from './task-outcome.fallback';

/** Payload: the queue name of the new task(s). */
export const ENQUEUED_CHANNEL = 'nestjs_tasks';
/** Payload: comma-separated ids of tasks that reached a final status. */
export const FINISHED_CHANNEL = 'nestjs_tasks_done';
/** NOTIFY payloads stop at 8000 bytes; 150 ids of 37 bytes stay well under. */
const IDS_PER_NOTIFICATION = 150;
const FINISHED_LITERALS = FINISHED_STATUSES.map((status) => `'${status}'`).join(', ');

/**
 * jsonb rejects `\u0000` and unpaired surrogates, which JSON.stringify emits as escapes (an
 * escape is real when an even number of backslashes precedes it). Return values that contain
 * them fail their attempt (see writeOutcomesSafely); error texts are only cleaned.
 */
const JSONB_UNSAFE = /(?<!\\)(?:\\\\)*\\u(?:0000|d[89a-f][0-9a-f]{2})/i;

interface PgDriver {
  master: Pool;
  options: { schema?: string };
}

/**
 * PostgreSQL through the DataSource's own `pg` pool (the primary's, under replication). Each
 * lifecycle step is one named statement, so one round trip and its own transaction: claims lock
 * with `FOR UPDATE SKIP LOCKED` and never wait for one another; statements that lock several
 * RUNNING rows of one worker (finish, renew) lock them in id order, so they cannot deadlock
 * each other. Idle workers and `wait()` in other processes hear of new and finished tasks
 * through LISTEN/NOTIFY: an enqueue inside the caller's transaction notifies in it (delivered at
 * its commit, or never); every other notification follows its write (see PgNotifier).
 */
export class PostgresDialect implements TaskDialect {
  readonly name = 'postgres' as const;
  private readonly pool: Pool;
  private readonly table: string;
  private readonly sql: ReturnType<typeof statements>;
  private readonly notifier: PgNotifier;
  private listener?: PgNotificationListener;
  private insertsInFlight = 0;

  constructor(dataSource: DataSource) {
    const driver = dataSource.driver as unknown as PgDriver;
    if (!driver.master) throw new Error('The PostgreSQL DataSource is not initialised.');
    this.pool = driver.master;
    const schema = driver.options.schema;
    this.table = schema ? `${quoteIdentifier(schema)}.task_results` : 'task_results';
    this.sql = statements(this.table);
    this.notifier = new PgNotifier(this.pool);
  }

  /** Named, so each pooled connection parses and plans a statement once. */
  private query<R extends QueryResultRow>(name: string, text: string, values: unknown[]): Promise<QueryResult<R>> {
    return this.pool.query<R>({ name: `nestjs_tasks_${name}`, text, values } as QueryConfig);
  }

  async insert(rows: NewTaskRow[], manager?: EntityManager): Promise<void> {
    if (rows.length === 0) return;
    const columns: unknown[][] = [[], [], [], [], [], [], [], [], [], []];
    // ISO text: node-postgres formats each Date in local time, field by field.
    const text = dateFormatter((date) => date.toISOString());
    for (const row of rows) {
      columns[0].push(row.id);
      columns[1].push(row.taskName);
      columns[2].push(row.queueName);
      columns[3].push(row.priority);
      columns[4].push(row.args);
      columns[5].push(row.kwargs);
      columns[6].push(row.backend);
      columns[7].push(text(row.runAfter));
      columns[8].push(text(row.enqueuedAt));
      columns[9].push(row.maxAttempts);
    }
    if (manager) {
      // Inside the caller's transaction: the NOTIFY is delivered at its commit, or never.
      await manager.query(this.sql.insertAndNotify, columns);
      return;
    }
    // A NOTIFY holds a database-wide lock until its transaction's commit is flushed, so enqueues
    // that carry one serialise. An enqueue alone in this process carries its own (one round
    // trip); concurrent ones leave theirs to the notifier, which merges them after the commits.
    if (this.insertsInFlight === 0) {
      this.insertsInFlight++;
      try {
        await this.query('insertAndNotify', this.sql.insertAndNotify, columns);
      } finally {
        this.insertsInFlight--;
      }
      return;
    }
    this.insertsInFlight++;
    try {
      await this.query('insert', this.sql.insert, columns);
    } finally {
      this.insertsInFlight--;
    }
    for (const queue of new Set(rows.map((row) => row.queueName))) this.notifier.send(ENQUEUED_CHANNEL, queue);
  }

  async claim({ workerId, queues, limit, leaseMs }: ClaimRequest): Promise<ClaimedTask[]> {
    const now = Date.now();
    const values: unknown[] = [workerId, new Date(now + leaseMs), new Date(now), limit];
    let name: string;
    let text: string;
    if (queues === null) {
      [name, text] = ['claimAnyQueue', this.sql.claimAnyQueue];
    } else if (queues.length === 1) {
      [name, text] = ['claimOneQueue', this.sql.claimOneQueue];
      values.push(queues[0]);
    } else {
      [name, text] = ['claimQueues', this.sql.claimQueues];
      values.push(queues);
    }
    const { rows } = await this.query<ClaimedRow>(name, text, values);
    // RETURNING does not keep the subquery's order.
    rows.sort((a, b) => b.priority - a.priority || a.run_after.getTime() - b.run_after.getTime() || (a.id < b.id ? -1 : 1));
    return rows.map((row) => ({
      id: row.id,
      taskName: row.task_name,
      queueName: row.queue_name,
      priority: row.priority,
      args: row.args,
      kwargs: row.kwargs,
      attempt: row.attempt,
      maxAttempts: row.max_attempts,
    }));
  }

  async finish(workerId: string, outcomes: TaskOutcome[]): Promise<void> {
    const now = new Date();
    await writeOutcomesSafely(outcomes, now, isDataError, (batch) => this.writeOutcomes(workerId, batch, now));
  }

  private async writeOutcomes(workerId: string, outcomes: TaskOutcome[], now: Date): Promise<void> {
    const ids: string[] = [];
    const attempts: number[] = [];
    const kinds: string[] = [];
    const returnValues: (string | null)[] = [];
    const errors: (string | null)[] = [];
    const retryAts: (Date | null)[] = [];
    for (const outcome of outcomes) {
      ids.push(outcome.id);
      attempts.push(outcome.attempt);
      kinds.push(outcome.kind);
      returnValues.push(outcome.kind === 'succeeded' ? outcome.returnValue : null);
      errors.push(outcome.kind === 'failed' ? jsonbSafeError(outcome.error) : null);
      retryAts.push(outcome.kind === 'failed' ? outcome.retryAt : null);
    }
    // Unnamed: planned for each batch's size. A cached generic plan, made for an array of unknown
    // length, joins large batches badly (hundreds of ms for a thousand rows instead of ten).
    const { rows } = await this.pool.query<{ id: string }>(this.sql.finish,
      [workerId, now, ids, attempts, kinds, returnValues, errors, retryAts]);
    for (const row of rows) this.notifier.send(FINISHED_CHANNEL, row.id);
  }

  async renewLeases(workerId: string, ids: string[], leaseMs: number): Promise<LeaseRenewal> {
    const { rows } = await this.query<{ id: string; attempt: number; cancel_requested: boolean }>(
      'renewLeases', this.sql.renewLeases, [workerId, new Date(Date.now() + leaseMs), ids]);
    return {
      held: new Set(rows.map((row) => `${row.id}:${row.attempt}`)),
      cancelRequested: rows.filter((row) => row.cancel_requested).map((row) => row.id),
    };
  }

  async rescueExpired(limit: number): Promise<string[]> {
    const now = new Date();
    const { rows } = await this.query<{ id: string }>('rescueExpired', this.sql.rescueExpired, [now, now.toISOString(), limit]);
    return rows.map((row) => row.id);
  }

  async cancel(id: string): Promise<CancelOutcome> {
    // Separate statements, each with a fresh snapshot: a task claimed between the first two is
    // seen RUNNING by the second. A task that moved on meanwhile is tried again.
    for (let round = 0; ; round++) {
      if ((await this.query('cancelReady', this.sql.cancelReady, [id, new Date()])).rowCount) {
        this.notifier.send(FINISHED_CHANNEL, id);
        return 'cancelled';
      }
      if ((await this.query('cancelRunning', this.sql.cancelRunning, [id])).rowCount) return 'requested';
      const { rows } = await this.query<{ status: TaskResultStatus }>('status', this.sql.status, [id]);
      if (rows.length === 0) return 'missing';
      if (FINISHED_STATUSES.includes(rows[0].status) || round === 2) return 'finished';
    }
  }

  async setProgress(id: string, workerId: string, attempt: number, progress: string): Promise<void> {
    await this.query('setProgress', this.sql.setProgress, [id, workerId, attempt, progress]);
  }

  async findById(id: string) {
    const { rows } = await this.query<Record<string, unknown>>('findById', this.sql.findById, [id]);
    return rows.length > 0 ? mapTaskRow(rows[0]) : null;
  }

  async pruneBatch({ olderThan, statuses, queues, batchSize }: PruneRequest): Promise<number> {
    // Literal statuses (checked against the enum) let the planner use the partial index of finished rows.
    const statusList = statuses.map((status) => {
      if (!FINISHED_STATUSES.includes(status)) throw new Error(`Cannot prune ${status} tasks.`);
      return `'${status}'`;
    });
    const text = `
      DELETE FROM ${this.table} WHERE id IN (
        SELECT id FROM ${this.table}
         WHERE status IN (${statusList.join(', ')}) AND finished_at < $1::timestamptz
           ${queues ? 'AND queue_name = ANY($3::text[])' : ''}
         LIMIT $2::int)`;
    const result = await this.pool.query(text, queues ? [olderThan, batchSize, queues] : [olderThan, batchSize]);
    return result.rowCount ?? 0;
  }

  async checkSchema(): Promise<void> {
    const { rows } = await this.pool.query<{ found: string | null }>('SELECT to_regclass($1)::text AS found', [this.table]);
    if (!rows[0]?.found) throw missingTableError();
  }

  async listen(onEnqueued: (queue: string) => void, onFinished?: (id: string) => void): Promise<() => Promise<void>> {
    const listener = new PgNotificationListener(this.pool, (notification) => {
      if (notification.channel === ENQUEUED_CHANNEL) {
        if (notification.payload) onEnqueued(notification.payload);
      } else if (notification.channel === FINISHED_CHANNEL && onFinished && notification.payload) {
        for (const id of notification.payload.split(',')) onFinished(id);
      }
    });
    this.listener = listener;
    await listener.start();
    return async () => {
      await listener.stop();
      if (this.listener === listener) this.listener = undefined;
    };
  }

  async close(): Promise<void> {
    // The pool belongs to the DataSource; only the listening connection is ours.
    await this.notifier.flush();
    await this.listener?.stop();
    this.listener = undefined;
  }
}

interface ClaimedRow {
  id: string;
  task_name: string;
  queue_name: string;
  priority: number;
  args: unknown;
  kwargs: unknown;
  attempt: number;
  max_attempts: number;
  run_after: Date;
}

function statements(table: string) {
  // $1 worker, $2 lease end, $3 now, $4 limit, $5 queue(s). 'READY' is a literal throughout:
  // the claim index is partial on it.
  const claim = (due: string, prelude = '') => `
    ${prelude}
    UPDATE ${table} AS t
       SET status = 'RUNNING', attempt = t.attempt + 1, claimed_by = $1::text, lease_expires_at = $2::timestamptz,
           started_at = COALESCE(t.started_at, $3::timestamptz), last_attempted_at = $3::timestamptz,
           worker_ids = t.worker_ids || to_jsonb($1::text)
      FROM (${due}) AS due
     WHERE t.id = due.id
    RETURNING t.id, t.task_name, t.queue_name, t.priority, t.args, t.kwargs, t.attempt, t.max_attempts, t.run_after`;
  const dueInQueue = (queue: string) => `
    SELECT id, priority, run_after FROM ${table}
     WHERE status = 'READY' AND queue_name = ${queue} AND run_after <= $3::timestamptz
     ORDER BY priority DESC, run_after, id
     LIMIT $4::int
       FOR UPDATE SKIP LOCKED`;
  // The index is ordered within one queue only: across queues, the first rows of each queue
  // (an index range each) are merged, rather than every READY row of them sorted. Rows locked
  // there but not taken are released when the statement commits.
  const dueInQueues = (queues: string) => `
    SELECT head.id FROM ${queues} CROSS JOIN LATERAL (${dueInQueue('q.name')}) AS head
     ORDER BY head.priority DESC, head.run_after, head.id
     LIMIT $4::int`;
  // Any queue: the queues that have READY rows, found by skipping through the index.
  const queuesWithReadyRows = `
    WITH RECURSIVE ready_queue(name) AS (
      SELECT min(queue_name) FROM ${table} WHERE status = 'READY'
      UNION ALL
      SELECT (SELECT min(queue_name) FROM ${table} WHERE status = 'READY' AND queue_name > r.name)
        FROM ready_queue AS r WHERE r.name IS NOT NULL
    )`;
  // $1 worker, $2 now, then one array per column of the outcomes.
  const finish = `
    WITH o AS (
      -- The outcomes joined with their rows here, once: the update then joins one relation to
      -- the table by primary key (joining two CTEs to each other can be planned quadratically).
      SELECT t.id, o.kind, o.return_value, o.error, o.retry_at
        FROM ${table} AS t
        JOIN unnest($3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::timestamptz[])
               AS o(id, attempt, kind, return_value, error, retry_at) ON o.id = t.id
       WHERE t.status = 'RUNNING' AND t.claimed_by = $1::text AND t.attempt = o.attempt
       ORDER BY t.id
         FOR UPDATE OF t
    ), written AS (
      UPDATE ${table} AS t
         SET status = CASE o.kind
               WHEN 'succeeded' THEN CASE WHEN t.cancel_requested THEN 'CANCELLED' ELSE 'SUCCESSFUL' END
               WHEN 'failed' THEN CASE WHEN t.cancel_requested THEN 'CANCELLED' WHEN o.retry_at IS NULL THEN 'FAILED' ELSE 'READY' END
               WHEN 'cancelled' THEN 'CANCELLED'
               ELSE CASE WHEN t.cancel_requested THEN 'CANCELLED' ELSE 'READY' END
             END,
             return_value = CASE WHEN o.kind <> 'succeeded' THEN t.return_value
                                 WHEN t.cancel_requested THEN NULL ELSE o.return_value::jsonb END,
             finished_at = CASE o.kind
               WHEN 'succeeded' THEN $2::timestamptz
               WHEN 'cancelled' THEN $2::timestamptz
               WHEN 'failed' THEN CASE WHEN t.cancel_requested OR o.retry_at IS NULL THEN $2::timestamptz END
               ELSE CASE WHEN t.cancel_requested THEN $2::timestamptz END
             END,
             run_after = CASE WHEN o.kind = 'failed' THEN COALESCE(o.retry_at, t.run_after) ELSE t.run_after END,
             errors = CASE WHEN o.kind = 'failed' THEN t.errors || jsonb_build_array(o.error::jsonb) ELSE t.errors END,
             attempt = CASE WHEN o.kind = 'released' THEN t.attempt - 1 ELSE t.attempt END,
             worker_ids = CASE WHEN o.kind = 'released' THEN t.worker_ids - -1 ELSE t.worker_ids END,
             started_at = CASE WHEN o.kind = 'released' AND t.attempt = 1 THEN NULL ELSE t.started_at END,
             claimed_by = NULL, lease_expires_at = NULL
        FROM o
       WHERE t.id = o.id
      RETURNING t.id, t.status
    )
    SELECT id FROM written WHERE status IN (${FINISHED_LITERALS})`;
  const insert = `
    INSERT INTO ${table} (id, task_name, status, queue_name, priority, args, kwargs, backend, run_after, enqueued_at,
                          max_attempts, attempt, errors, worker_ids, cancel_requested)
    SELECT id, task_name, 'READY', queue_name, priority, args::jsonb, kwargs::jsonb, backend, run_after, enqueued_at,
           max_attempts, 0, '[]', '[]', false
      FROM unnest($1::text[], $2::text[], $3::text[], $4::smallint[], $5::text[], $6::text[], $7::text[],
                  $8::timestamptz[], $9::timestamptz[], $10::int[])
           AS n(id, task_name, queue_name, priority, args, kwargs, backend, run_after, enqueued_at, max_attempts)`;
  return {
    insert,
    insertAndNotify: `
      WITH inserted AS (${insert} RETURNING queue_name)
      SELECT pg_notify('${ENQUEUED_CHANNEL}', queue_name) FROM (SELECT DISTINCT queue_name FROM inserted) AS queues`,
    claimOneQueue: claim(dueInQueue('$5::text')),
    claimQueues: claim(dueInQueues('unnest($5::text[]) AS q(name)')),
    claimAnyQueue: claim(dueInQueues('(SELECT name FROM ready_queue WHERE name IS NOT NULL) AS q'), queuesWithReadyRows),
    finish,
    // Locks in id order, as finish does: the two run concurrently for one worker.
    renewLeases: `
      UPDATE ${table} AS t SET lease_expires_at = $2::timestamptz
        FROM (SELECT id FROM ${table} WHERE id = ANY($3::text[]) AND status = 'RUNNING' AND claimed_by = $1::text ORDER BY id FOR UPDATE) AS held
       WHERE t.id = held.id AND t.status = 'RUNNING' AND t.claimed_by = $1::text
      RETURNING t.id, t.attempt, t.cancel_requested`,
    rescueExpired: `
      UPDATE ${table} AS t
         SET status = CASE WHEN t.cancel_requested THEN 'CANCELLED' WHEN t.attempt >= t.max_attempts THEN 'FAILED' ELSE 'READY' END,
             finished_at = CASE WHEN t.cancel_requested OR t.attempt >= t.max_attempts THEN $1::timestamptz END,
             run_after = $1::timestamptz,
             errors = t.errors || jsonb_build_array(jsonb_build_object(
               'name', 'WorkerLostError',
               'message', 'Worker ' || t.claimed_by || ' stopped renewing its lease (it crashed, hung or lost the database); the attempt was abandoned.',
               'traceback', '', 'attempt', t.attempt, 'failedAt', $2::text)),
             claimed_by = NULL, lease_expires_at = NULL
        FROM (SELECT id FROM ${table} WHERE status = 'RUNNING' AND lease_expires_at < $1::timestamptz LIMIT $3::int FOR UPDATE SKIP LOCKED) AS expired
       WHERE t.id = expired.id
      RETURNING t.id`,
    cancelReady: `UPDATE ${table} SET status = 'CANCELLED', finished_at = $2::timestamptz WHERE id = $1::text AND status = 'READY'`,
    cancelRunning: `UPDATE ${table} SET cancel_requested = true WHERE id = $1::text AND status = 'RUNNING'`,
    status: `SELECT status FROM ${table} WHERE id = $1::text`,
    setProgress: `
      UPDATE ${table} SET progress = $4::jsonb
       WHERE id = $1::text AND status = 'RUNNING' AND claimed_by = $2::text AND attempt = $3::int`,
    findById: `SELECT * FROM ${table} WHERE id = $1::text`,
  };
}

/** An error's text is diagnostic: characters jsonb refuses become U+FFFD rather than failing the write. */
function jsonbSafeError(error: TaskError): string {
  const json = JSON.stringify(error);
  return JSONB_UNSAFE.test(json) ? json.replace(new RegExp(JSONB_UNSAFE.source, 'gi'), (match) => `${match.slice(0, -6)}\\ufffd`) : json;
}

/** The server refused a value (invalid JSON text, a constraint, a size limit), not the connection. */
function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^(22|23|54)/.test(code);
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Sends NOTIFYs once the writes they announce have committed, in a statement of their own,
 * and coalesces them: while one is in flight, the next ones gather and go together after it.
 * A NOTIFY inside the writing transaction would serialise every such commit: PostgreSQL holds
 * a database-wide lock from queueing the notification until after the commit's WAL flush
 * (measured here: concurrent single-row enqueues 3-4x slower). Notifications are best effort;
 * polling covers a lost one.
 */
class PgNotifier {
  private readonly logger = new Logger('TasksModule');
  private readonly pending = new Map<string, Set<string>>();
  private inFlight?: Promise<void>;
  private failing = false;

  constructor(private readonly pool: Pool) {}

  send(channel: string, item: string): void {
    let items = this.pending.get(channel);
    if (!items) this.pending.set(channel, (items = new Set()));
    items.add(item);
    this.inFlight ??= this.drain();
  }

  /** Resolves once everything sent so far has gone out (or failed). */
  async flush(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  private async drain(): Promise<void> {
    while (this.pending.size > 0) {
      const channels: string[] = [];
      const payloads: string[] = [];
      for (const [channel, items] of this.pending) {
        const list = [...items];
        if (channel === FINISHED_CHANNEL) {
          for (let start = 0; start < list.length; start += IDS_PER_NOTIFICATION) {
            channels.push(channel);
            payloads.push(list.slice(start, start + IDS_PER_NOTIFICATION).join(','));
          }
        } else {
          list.forEach((item) => (channels.push(channel), payloads.push(item)));
        }
      }
      this.pending.clear();
      try {
        await this.pool.query({
          name: 'nestjs_tasks_notify',
          text: 'SELECT pg_notify(channel, payload) FROM unnest($1::text[], $2::text[]) AS n(channel, payload)',
          values: [channels, payloads],
        });
        this.failing = false;
      } catch (error) {
        if (!this.failing) this.logger.warn(`Could not send task notifications (workers poll instead): ${(error as Error).message}`);
        this.failing = true;
      }
    }
    this.inFlight = undefined;
  }
}

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;
/** Catches a connection that died silently (no FIN from a vanished host or NAT). */
const HEALTH_CHECK_MS = 30_000;

/**
 * One dedicated connection that LISTENs on both channels and reconnects by itself, with
 * exponential backoff and jitter. Notifications sent while it is down are lost; the worker's
 * polling and `wait()`'s polling cover that gap.
 */
class PgNotificationListener {
  private readonly logger = new Logger('TasksModule');
  private client?: Client;
  private stopped = false;
  private failures = 0;
  private reconnectTimer?: NodeJS.Timeout;
  private healthTimer?: NodeJS.Timeout;

  constructor(
    private readonly pool: Pool,
    private readonly onNotification: (notification: Notification) => void,
  ) {}

  /** Resolves once listening, or after the first failure (retrying in the background). */
  async start(): Promise<void> {
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.healthTimer);
    const client = this.client;
    this.client = undefined;
    if (client) await client.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const pool = this.pool as unknown as { Client: new (config: ClientConfig) => Client; options: ClientConfig };
    const client = new pool.Client({ ...pool.options, keepAlive: true });
    // 'error' and 'end' both fire for one failure; each client schedules at most one reconnect.
    let dead = false;
    const lost = (error?: Error) => {
      if (dead) return;
      dead = true;
      this.lost(client, error);
    };
    client.on('notification', this.onNotification);
    client.on('error', lost);
    client.on('end', () => lost());
    try {
      await client.connect();
      await client.query(`LISTEN ${ENQUEUED_CHANNEL}; LISTEN ${FINISHED_CHANNEL}`);
    } catch (error) {
      lost(error as Error);
      return;
    }
    if (this.stopped) {
      dead = true;
      await client.end().catch(() => undefined);
      return;
    }
    if (this.failures > 0) this.logger.log('Listening for task notifications again.');
    this.failures = 0;
    this.client = client;
    this.healthTimer = setInterval(() => {
      client.query('SELECT 1').catch((error) => lost(error));
    }, HEALTH_CHECK_MS);
    this.healthTimer.unref();
  }

  private lost(client: Client, error?: Error): void {
    if (this.client === client) {
      this.client = undefined;
      clearInterval(this.healthTimer);
    }
    client.removeAllListeners('notification');
    client.end().catch(() => undefined);
    if (this.stopped) return;
    this.failures++;
    const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** (this.failures - 1)) * (0.5 + Math.random() / 2);
    this.logger.warn(`Lost the connection listening for task notifications${error ? ` (${error.message})` : ''}; ` +
      `reconnecting in ${Math.round(delay)} ms. Workers poll meanwhile.`);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, delay);
  }
}
