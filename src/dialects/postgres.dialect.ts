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
import { mapTaskRow } from './task-row.mapper';
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
  schema?: string;
  options: { schema?: string };
}

/**
 * PostgreSQL through the DataSource's own `pg` pool (the primary's, under replication). Each
 * lifecycle step is one statement, so one round trip and its own transaction: claims lock with
 * `FOR UPDATE SKIP LOCKED` and never wait for one another; statements that lock several RUNNING
 * rows of one worker (finish, renew) lock them in id order, so they cannot deadlock each other.
 * Enqueues and finishes NOTIFY in the same statement, so a rolled-back enqueue sends nothing and
 * an idle worker or a `wait()` in another process hears about it at once.
 */
export class PostgresDialect implements TaskDialect {
  readonly name = 'postgres' as const;
  private readonly pool: Pool;
  private readonly table: string;
  private readonly sql: ReturnType<typeof statements>;
  private listener?: PgNotificationListener;

  constructor(dataSource: DataSource) {
    const driver = dataSource.driver as unknown as PgDriver;
    if (!driver.master) throw new Error('The PostgreSQL DataSource is not initialised.');
    this.pool = driver.master;
    const schema = driver.options.schema;
    this.table = schema ? `${quoteIdentifier(schema)}.task_results` : 'task_results';
    this.sql = statements(this.table);
  }

  /** Named, so each pooled connection parses and plans a statement once. */
  private query<R extends QueryResultRow>(name: string, text: string, values: unknown[]): Promise<QueryResult<R>> {
    return this.pool.query<R>({ name: `nestjs_tasks_${name}`, text, values } as QueryConfig);
  }

  async insert(rows: NewTaskRow[], manager?: EntityManager): Promise<void> {
    if (rows.length === 0) return;
    const columns: unknown[][] = [[], [], [], [], [], [], [], [], [], []];
    for (const row of rows) {
      columns[0].push(row.id);
      columns[1].push(row.taskName);
      columns[2].push(row.queueName);
      columns[3].push(row.priority);
      columns[4].push(row.args);
      columns[5].push(row.kwargs);
      columns[6].push(row.backend);
      columns[7].push(row.runAfter);
      columns[8].push(row.enqueuedAt);
      columns[9].push(row.maxAttempts);
    }
    // Inside the caller's transaction the NOTIFY is delivered at its commit, or never.
    if (manager) await manager.query(this.sql.insertAndNotify, columns);
    else await this.query('insertAndNotify', this.sql.insertAndNotify, columns);
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
    await this.query('finishAndNotify', this.sql.finishAndNotify, [workerId, now, ids, attempts, kinds, returnValues, errors, retryAts]);
  }

  async renewLeases(workerId: string, leaseMs: number): Promise<LeaseRenewal> {
    const { rows } = await this.query<{ id: string; attempt: number; cancel_requested: boolean }>(
      'renewLeases', this.sql.renewLeases, [workerId, new Date(Date.now() + leaseMs)]);
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
      if ((await this.query('cancelReady', this.sql.cancelReady, [id, new Date()])).rowCount) return 'cancelled';
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
         WHERE status IN (${statusList.join(', ')}) AND finished_at < $1
           ${queues ? 'AND queue_name = ANY($3::text[])' : ''}
         LIMIT $2)`;
    const result = await this.pool.query(text, queues ? [olderThan, batchSize, queues] : [olderThan, batchSize]);
    return result.rowCount ?? 0;
  }

  async checkSchema(): Promise<void> {
    const { rows } = await this.pool.query<{ table: string | null }>('SELECT to_regclass($1)::text AS table', [this.table]);
    if (!rows[0]?.table) throw missingTableError();
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
  const claim = (queueFilter: string) => `
    UPDATE ${table} AS t
       SET status = 'RUNNING', attempt = t.attempt + 1, claimed_by = $1, lease_expires_at = $2,
           started_at = COALESCE(t.started_at, $3), last_attempted_at = $3,
           worker_ids = t.worker_ids || to_jsonb($1::text)
      FROM (SELECT id FROM ${table}
             WHERE status = 'READY' ${queueFilter} AND run_after <= $3
             ORDER BY priority DESC, run_after, id
             LIMIT $4
               FOR UPDATE SKIP LOCKED) AS due
     WHERE t.id = due.id
    RETURNING t.id, t.task_name, t.queue_name, t.priority, t.args, t.kwargs, t.attempt, t.max_attempts, t.run_after`;
  // $1 worker, $2 now, then one array per column of the outcomes.
  const finishAndNotify = `
    WITH outcome AS (
      SELECT * FROM unnest($3::uuid[], $4::int[], $5::text[], $6::text[], $7::text[], $8::timestamptz[])
               AS o(id, attempt, kind, return_value, error, retry_at)
    ), held AS (
      SELECT t.id FROM ${table} AS t JOIN outcome AS o ON o.id = t.id
       WHERE t.status = 'RUNNING' AND t.claimed_by = $1 AND t.attempt = o.attempt
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
               WHEN 'succeeded' THEN $2
               WHEN 'cancelled' THEN $2
               WHEN 'failed' THEN CASE WHEN t.cancel_requested OR o.retry_at IS NULL THEN $2::timestamptz END
               ELSE CASE WHEN t.cancel_requested THEN $2::timestamptz END
             END,
             run_after = CASE WHEN o.kind = 'failed' THEN COALESCE(o.retry_at, t.run_after) ELSE t.run_after END,
             errors = CASE WHEN o.kind = 'failed' THEN t.errors || jsonb_build_array(o.error::jsonb) ELSE t.errors END,
             attempt = CASE WHEN o.kind = 'released' THEN t.attempt - 1 ELSE t.attempt END,
             worker_ids = CASE WHEN o.kind = 'released' THEN t.worker_ids - -1 ELSE t.worker_ids END,
             started_at = CASE WHEN o.kind = 'released' AND t.attempt = 1 THEN NULL ELSE t.started_at END,
             claimed_by = NULL, lease_expires_at = NULL
        FROM outcome AS o, held AS h
       WHERE t.id = o.id AND t.id = h.id
      RETURNING t.id, t.status
    )
    SELECT pg_notify('${FINISHED_CHANNEL}', string_agg(id::text, ','))
      FROM (SELECT id, (row_number() OVER ()) / ${IDS_PER_NOTIFICATION} AS chunk
              FROM written WHERE status IN (${FINISHED_LITERALS})) AS finished
     GROUP BY chunk`;
  return {
    insertAndNotify: `
      WITH inserted AS (
        INSERT INTO ${table} (id, task_name, status, queue_name, priority, args, kwargs, backend, run_after, enqueued_at,
                              max_attempts, attempt, errors, worker_ids, cancel_requested)
        SELECT id, task_name, 'READY', queue_name, priority, args::jsonb, kwargs::jsonb, backend, run_after, enqueued_at,
               max_attempts, 0, '[]', '[]', false
          FROM unnest($1::uuid[], $2::text[], $3::text[], $4::smallint[], $5::text[], $6::text[], $7::text[],
                      $8::timestamptz[], $9::timestamptz[], $10::int[])
               AS n(id, task_name, queue_name, priority, args, kwargs, backend, run_after, enqueued_at, max_attempts)
        RETURNING queue_name
      )
      SELECT pg_notify('${ENQUEUED_CHANNEL}', queue_name) FROM (SELECT DISTINCT queue_name FROM inserted) AS queues`,
    // 'READY' as a literal: the claim index is partial on it.
    claimOneQueue: claim('AND queue_name = $5'),
    claimQueues: claim('AND queue_name = ANY($5::text[])'),
    claimAnyQueue: claim(''),
    finishAndNotify,
    // Locks in id order, as finish does: the two run concurrently for one worker.
    renewLeases: `
      UPDATE ${table} AS t SET lease_expires_at = $2
        FROM (SELECT id FROM ${table} WHERE status = 'RUNNING' AND claimed_by = $1 ORDER BY id FOR UPDATE) AS held
       WHERE t.id = held.id AND t.status = 'RUNNING' AND t.claimed_by = $1
      RETURNING t.id, t.attempt, t.cancel_requested`,
    rescueExpired: `
      UPDATE ${table} AS t
         SET status = CASE WHEN t.cancel_requested THEN 'CANCELLED' WHEN t.attempt >= t.max_attempts THEN 'FAILED' ELSE 'READY' END,
             finished_at = CASE WHEN t.cancel_requested OR t.attempt >= t.max_attempts THEN $1::timestamptz END,
             run_after = $1,
             errors = t.errors || jsonb_build_array(jsonb_build_object(
               'name', 'WorkerLostError',
               'message', 'Worker ' || t.claimed_by || ' stopped renewing its lease (it crashed, hung or lost the database); the attempt was abandoned.',
               'traceback', '', 'attempt', t.attempt, 'failedAt', $2::text)),
             claimed_by = NULL, lease_expires_at = NULL
        FROM (SELECT id FROM ${table} WHERE status = 'RUNNING' AND lease_expires_at < $1 LIMIT $3 FOR UPDATE SKIP LOCKED) AS expired
       WHERE t.id = expired.id
      RETURNING t.id`,
    cancelReady: `
      WITH cancelled AS (
        UPDATE ${table} SET status = 'CANCELLED', finished_at = $2 WHERE id = $1 AND status = 'READY' RETURNING id
      )
      SELECT pg_notify('${FINISHED_CHANNEL}', id::text) FROM cancelled`,
    cancelRunning: `UPDATE ${table} SET cancel_requested = true WHERE id = $1 AND status = 'RUNNING'`,
    status: `SELECT status FROM ${table} WHERE id = $1`,
    setProgress: `
      UPDATE ${table} SET progress = $4::jsonb
       WHERE id = $1 AND status = 'RUNNING' AND claimed_by = $2 AND attempt = $3`,
    findById: `SELECT * FROM ${table} WHERE id = $1`,
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

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 30_000;
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
