import type { Pool, QueryConfig, QueryResult, QueryResultRow } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import type { AttemptRef } from '../../core/attempt-ref';
import type { TaskRow } from '../../core/task-row';
import { isRelative } from '../../core/task-time';
import { claimed, rescued, TaskChange } from '../../core/task.transitions';
import type { TaskError } from '../../interfaces/task-error.interface';
import { FINISHED_STATUSES, TaskResultStatus } from '../../task-result-status.enum';
import { cancelTask } from '../shared/cancel.loop';
import { writeChangesSafely } from '../shared/change.fallback';
import { insertValues } from '../shared/insert-columns';
import { QueueDepthRow, toQueueDepthRows } from '../shared/queue-depth';
import { missingTableError } from '../shared/missing-table.error';
import { claimOrder, dateFormatter, mapTaskRow, toClaimedTask } from '../shared/task-row.mapper';
import type {
  CancelOutcome, ClaimedTask, ClaimRequest, LeaseRenewal, NewTaskRow, PruneRequest, SparedAttempts, TaskDialect,
} from '../task-dialect.interface';
import { notSpared } from '../shared/spared-attempts';
import { ENQUEUED_CHANNEL, FINISHED_CHANNEL, WANTED_CHANNEL } from './pg-channels';
import { FinishInterest } from './pg-finish-interest';
import { PgNotificationListener } from './pg-listener';
import { PgNotifier } from './pg-notifier';
import { postgresStatements, postgresWorkflowStatements } from './postgres.statements';
import type { SqlRunner, WorkflowStatements } from '../workflow-statements.interface';
import { newSettleReport } from '../shared/dependents.settle';
import { afterFinish, announceSettled, cancelWithDependents, managerRunner } from '../shared/workflow.store';
import { createPgMaintenancePool } from './postgres-connections';
import { postgresSchedules } from './postgres-schedules';
import { postgresQueueStatements } from './queues.statements';
import type { QueueStatements } from '../queue-statements.interface';
import { postgresLimitStatements } from './limits.statements';
import type { LimitStatements } from '../limit-statements.interface';
import type { ScheduleDialect } from '../schedule-dialect.interface';
import type { OperationsDialect } from '../operations-dialect.interface';
import { postgresOperations } from './postgres-operations';
import type { UniquenessDialect } from '../../uniqueness/uniqueness-dialect.interface';
import { postgresUniqueStatements } from '../../uniqueness/postgres.unique-statements';
import { storedReturnValue } from '../../serialization/stored-return-value';

/**
 * jsonb rejects `\u0000` and unpaired surrogates, which JSON.stringify emits as escapes (an
 * escape is real when an even number of backslashes precedes it). Return values that contain
 * them fail their attempt (see writeChangesSafely); error texts are only cleaned.
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
 * its commit, or never); every other notification follows its write (see PgNotifier), and a
 * finish is announced only while another process waits for finishes (see FinishInterest).
 */
export class PostgresDialect implements TaskDialect {
  readonly name = 'postgres' as const;
  private readonly pool: Pool;
  private readonly table: string;
  private readonly schedulesTable: string;
  private readonly queueTable: string;
  private readonly throttlesTable: string;
  private unique?: UniquenessDialect;
  private readonly sql: ReturnType<typeof postgresStatements>;
  readonly workflow: WorkflowStatements;
  readonly queues: QueueStatements;
  readonly limits: LimitStatements;
  private readonly notifier: PgNotifier;
  private listener?: PgNotificationListener;
  private readonly interest: FinishInterest;
  /** Renewals and rescues, on a connection of their own (see createPgMaintenancePool); opened by the first. */
  private maintenance?: Pool;
  private insertsInFlight = 0;
  private operationsDialect?: OperationsDialect;

  constructor(dataSource: DataSource) {
    const driver = dataSource.driver as unknown as PgDriver;
    if (!driver.master) throw new Error('The PostgreSQL DataSource is not initialised.');
    this.pool = driver.master;
    const schema = driver.options.schema;
    this.table = schema ? `${quoteIdentifier(schema)}.task_results` : 'task_results';
    this.schedulesTable = schema ? `${quoteIdentifier(schema)}.task_schedules` : 'task_schedules';
    this.throttlesTable = schema ? `${quoteIdentifier(schema)}.task_throttles` : 'task_throttles';
    const edges = schema ? `${quoteIdentifier(schema)}.task_dependencies` : 'task_dependencies';
    this.queueTable = schema ? `${quoteIdentifier(schema)}.task_queues` : 'task_queues';
    this.sql = postgresStatements(this.table, edges, this.queueTable);
    this.queues = postgresQueueStatements(this.queueTable, this.table);
    this.limits = postgresLimitStatements(this.queueTable, this.table);
    this.workflow = postgresWorkflowStatements(this.table, edges);
    this.notifier = new PgNotifier(this.pool);
    this.interest = new FinishInterest((id) => this.notifier.send(WANTED_CHANNEL, id), (on) => this.listener?.listenFinished(on));
  }

  /** Named, so each pooled connection parses and plans a statement once. */
  private query<R extends QueryResultRow>(name: string, text: string, values: unknown[], pool = this.pool): Promise<QueryResult<R>> {
    return pool.query<R>({ name: `nestjs_tasks_${name}`, text, values } as QueryConfig);
  }

  private maintenancePool(): Pool {
    return (this.maintenance ??= createPgMaintenancePool(this.pool));
  }

  async insert(rows: NewTaskRow[], manager?: EntityManager): Promise<void> {
    if (rows.length === 0) return;
    // ISO text: node-postgres formats each Date in local time, field by field.
    const text = dateFormatter((date) => date.toISOString());
    const values = rows.map((row) => insertValues(row, text));
    const uniform = values.length > 1 && isUniform(values);
    const [name, statement, notifying] = uniform
      ? ['insertUniform', this.sql.insertUniform, this.sql.insertUniformAndNotify]
      : ['insert', this.sql.insert, this.sql.insertAndNotify];
    const columns = uniform ? uniformColumns(values) : perRowColumns(values);
    if (manager) {
      // Inside the caller's transaction: the NOTIFY is delivered at its commit, or never.
      await manager.query(notifying, columns);
      return;
    }
    // A NOTIFY holds a database-wide lock until its transaction's commit is flushed, so enqueues
    // that carry one serialise. An enqueue alone in this process carries its own (one round
    // trip); concurrent ones leave theirs to the notifier, which merges them after the commits.
    if (this.insertsInFlight === 0) {
      this.insertsInFlight++;
      try {
        await this.query(`${name}AndNotify`, notifying, columns);
      } finally {
        this.insertsInFlight--;
      }
      return;
    }
    this.insertsInFlight++;
    try {
      await this.query(name, statement, columns);
    } finally {
      this.insertsInFlight--;
    }
    for (const queue of new Set(rows.map((row) => row.queueName))) this.notifier.send(ENQUEUED_CHANNEL, queue);
  }

  async claim({ workerId, queues, limit, leaseMs, except }: ClaimRequest): Promise<ClaimedTask[]> {
    const change = claimed(workerId, leaseMs);
    const lease = isRelative(change.leaseExpiresAt) ? change.leaseExpiresAt.afterNow : leaseMs;
    const values: unknown[] = [change.claimedBy, lease, limit];
    let name: string;
    let text: string;
    if (queues === null && except?.length) {
      [name, text] = ['claimAnyQueueExcept', this.sql.claimAnyQueueExcept];
      values.push(except);
    } else if (queues === null) {
      [name, text] = ['claimAnyQueue', this.sql.claimAnyQueue];
    } else if (queues.length === 1) {
      [name, text] = ['claimOneQueue', this.sql.claimOneQueue];
      values.push(queues[0]);
    } else {
      [name, text] = ['claimQueues', this.sql.claimQueues];
      values.push(queues);
    }
    const { rows } = await this.query<Record<string, unknown>>(name, text, values);
    // RETURNING does not keep the subquery's order.
    return rows.sort(claimOrder).map((row) => toClaimedTask(row));
  }

  async finish(workerId: string, changes: TaskChange[]): Promise<void> {
    await writeChangesSafely(changes, isDataError, async (batch) => {
      const plain = batch.filter((change) => !change.hasDependents);
      const written = new Set(plain.length > 0 ? await this.apply(plain.map((change) => [workerId, change]), false) : []);
      // Not written: tasks known or found to have dependents (or rows this worker no longer
      // holds, which the transaction finds so too).
      const left = batch.filter((change) => !written.has(change.ref.id)).map((change): [string, TaskChange] => [workerId, change]);
      if (left.length > 0) await this.applyWithDependents(left, false);
    });
  }

  /** Changes of tasks that have dependents, and their dependents' release or cancellation, in one transaction. */
  private async applyWithDependents(changes: [string, TaskChange][], rescue: boolean): Promise<string[]> {
    const report = newSettleReport();
    const rows = await this.transaction(async (run) => {
      const client = { query: async (text: string, values: unknown[]) => ({ rows: await run.query(text, values) }) };
      const written = await this.applyOn(client, changes, rescue, true);
      for (const row of written) await afterFinish(run, this, row.id, report, row);
      return written;
    });
    announceSettled(this, report);
    // Once committed (a waiter told before would read the row still RUNNING), in one statement
    // with the releases, which workers of other processes hear of too.
    this.notifyFinished(finishedIds(rows));
    for (const queue of report.released) this.notifier.send(ENQUEUED_CHANNEL, queue);
    this.notifyFinished(report.cancelled);
    return rows.map((row) => row.id);
  }

  /** Writes changes of rows held by the given workers; returns the ids of the rows written. */
  private async apply(changes: [string, TaskChange][], rescue: boolean, pool: Pick<Pool, 'query'> = this.pool): Promise<string[]> {
    const rows = await this.applyOn(pool as unknown as PgQueryable, changes, rescue, false);
    this.notifyFinished(finishedIds(rows));
    return rows.map((row) => row.id);
  }

  /** Tells waiters of other processes that `ids` reached a final status, if any has said it waits (see FinishInterest). */
  private notifyFinished(ids: Iterable<string>): void {
    if (!this.interest.othersWait()) return;
    for (const id of ids) this.notifier.send(FINISHED_CHANNEL, id);
  }

  private async applyOn(pool: PgQueryable, changes: [string, TaskChange][], rescue: boolean, withDependents: boolean) {
    const columns: unknown[][] = [[], [], [], [], [], [], [], [], []];
    for (const [workerId, change] of changes) {
      const time = change.runAfter;
      [change.ref.id, workerId, change.ref.attempt, change.status,
        change.returnValue === null ? null : storedReturnValue(change.returnValue),
        change.error ? jsonbSafeError(change.error) : null,
        time && !isRelative(time) ? time.at.toISOString() : null,
        time && isRelative(time) ? time.afterNow : null,
        change.uncharge].forEach((value, index) => columns[index].push(value));
    }
    // Unnamed: planned for each batch's size. A cached generic plan, made for an array of unknown
    // length, joins large batches badly (hundreds of ms for a thousand rows instead of ten).
    const { rows } = await pool.query(this.sql.finish, [rescue, ...columns, withDependents]);
    return rows as { id: string; status: TaskResultStatus; has_dependents: boolean }[];
  }

  async renew(workerId: string, ids: string[], leaseMs: number): Promise<LeaseRenewal> {
    const { rows } = await this.query<{ id: string; attempt: number; cancel_requested: boolean }>(
      'renew', this.sql.renew, [workerId, leaseMs, ids], this.maintenancePool());
    return {
      held: rows.map((row) => ({ id: row.id, attempt: row.attempt })),
      cancelRequested: rows.filter((row) => row.cancel_requested).map((row) => row.id),
    };
  }

  async rescue(limit: number, spared?: () => SparedAttempts): Promise<string[]> {
    const { rows: expired } = await this.query<{ id: string; attempt: number; max_attempts: number; claimed_by: string; now: Date }>(
      'expired', this.sql.expired, [limit], this.maintenancePool());
    const rows = notSpared(expired, spared);
    if (rows.length === 0) return [];
    const changes = rows.map((row): [string, TaskChange] => [row.claimed_by,
      rescued({ id: row.id, attempt: row.attempt, maxAttempts: row.max_attempts, claimedBy: row.claimed_by }, row.now)]);
    // Fenced on the lease still being expired: a row renewed or rescued meanwhile is left alone.
    const written = new Set(await this.apply(changes, true, this.maintenancePool()));
    for (const change of changes) {
      if (!written.has(change[1].ref.id)) (await this.applyWithDependents([change], true)).forEach((id) => written.add(id));
    }
    return [...written];
  }

  cancel(id: string): Promise<CancelOutcome> {
    return cancelTask(id, {
      cancelReady: async (taskId) => {
        if (!(await this.query('cancelReady', this.sql.cancelReady, [taskId])).rowCount) return false;
        this.notifyFinished([taskId]);
        return true;
      },
      cancelRunning: async (taskId) => Boolean((await this.query('cancelRunning', this.sql.cancelRunning, [taskId])).rowCount),
      status: async (taskId) =>
        (await this.query<{ status: TaskResultStatus }>('status', this.sql.status, [taskId])).rows[0]?.status ?? null,
      cancelWithDependents: (taskId) => cancelWithDependents(this, taskId),
    });
  }

  async read<R>(sql: string, params: unknown[]): Promise<R[]> {
    return (await this.pool.query(sql, params)).rows as R[];
  }

  async transaction<T>(work: (run: SqlRunner) => Promise<T>, manager?: EntityManager): Promise<T> {
    if (manager) return work(managerRunner(manager));
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work({ query: async <R>(text: string, values: unknown[]) => (await client.query(text, values)).rows as R[] });
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async progress(workerId: string, ref: AttemptRef, progress: string): Promise<void> {
    await this.query('progress', this.sql.progress, [ref.id, workerId, ref.attempt, progress]);
  }

  async find(id: string): Promise<Partial<TaskRow> | null> {
    const { rows } = await this.query<Record<string, unknown>>('find', this.sql.find, [id]);
    return rows.length > 0 ? mapTaskRow(rows[0]) : null;
  }

  async prune({ olderThan, statuses, queues, batchSize }: PruneRequest): Promise<number> {
    const statusList = statuses.map((status) => {
      if (!FINISHED_STATUSES.includes(status)) throw new Error(`Cannot prune ${status} tasks.`);
      return `'${status}'`;
    });
    const [at, delay] = isRelative(olderThan) ? [null, olderThan.afterNow] : [olderThan.at.toISOString(), null];
    const values: unknown[] = [at, delay, batchSize];
    if (queues) values.push(queues);
    const result = await this.pool.query<{ deleted: number }>(this.sql.prune(statusList.join(', '), queues !== null), values);
    return result.rows[0]?.deleted ?? 0;
  }

  async queueDepth(): Promise<QueueDepthRow[]> {
    return toQueueDepthRows((await this.query<Record<string, unknown>>('queue_depth', this.sql.queueDepth, [])).rows);
  }

  async now(): Promise<Date> {
    return (await this.query<{ now: Date }>('now', this.sql.now, [])).rows[0].now;
  }

  schedules(): ScheduleDialect {
    return postgresSchedules(this.pool, this.schedulesTable, this.table, this.sql.insertAndNotify);
  }

  operations(): OperationsDialect {
    const prefix = this.table.slice(0, -'task_results'.length);
    return (this.operationsDialect ??= postgresOperations(this.pool, () => this.maintenancePool(),
      { results: this.table, edges: `${prefix}task_dependencies`, workers: `${prefix}task_workers` }));
  }

  uniqueness(): UniquenessDialect {
    if (this.unique) return this.unique;
    const statements = postgresUniqueStatements(this.table, this.throttlesTable);
    return (this.unique = {
      statements,
      transaction: (work, manager) => this.transaction(work, manager),
      // The keyed insert is the only statement run through here: one prepared name. It returns
      // the pending row, locked, even one its snapshot predates (see the statement).
      single: async (task) => (await this.query('upsertKeyed', statements.upsert, statements.upsertParams(task))).rows[0] ?? null,
    });
  }

  async checkSchema(): Promise<void> {
    const { rows } = await this.pool.query<{ found: string | null }>(this.sql.schema, [this.table]);
    if (!rows[0]?.found) throw missingTableError();
  }

  announce(queues: readonly string[]): void {
    for (const queue of queues) this.notifier.send(ENQUEUED_CHANNEL, queue);
  }

  waitingForFinishes(): () => void {
    return this.interest.waiting();
  }

  async listen(onEnqueued: (queue: string) => void, onFinished?: (id: string) => void): Promise<() => Promise<void>> {
    const listener = new PgNotificationListener(this.pool, (notification) => {
      if (notification.channel === ENQUEUED_CHANNEL) {
        if (notification.payload) onEnqueued(notification.payload);
      } else if (notification.channel === WANTED_CHANNEL) {
        if (notification.payload) this.interest.heard(notification.payload);
      } else if (notification.channel === FINISHED_CHANNEL && onFinished && notification.payload) {
        for (const id of notification.payload.split(',')) onFinished(id);
      }
    });
    this.listener = listener;
    // Waiters that started before the listener: it LISTENs on the finish channel for them.
    if (this.interest.isWaiting()) listener.listenFinished(true);
    await listener.start();
    return async () => {
      await listener.stop();
      if (this.listener === listener) this.listener = undefined;
    };
  }

  async close(): Promise<void> {
    // The pool belongs to the DataSource; only the listening and maintenance connections are ours.
    this.interest.stop();
    await this.notifier.flush();
    await this.listener?.stop();
    this.listener = undefined;
    const maintenance = this.maintenance;
    this.maintenance = undefined;
    await maintenance?.end();
  }
}

/** insertValues' positions other than id, args and kwargs: task_name, queue_name, priority, backend, run_at, delay_ms, max_attempts, trace_context. */
const SHARED_INSERT_VALUES = [1, 2, 3, 6, 7, 8, 9, 10];

/** True when every row shares all but its id, args and kwargs (the rows of one enqueueMany, usually). */
function isUniform(values: unknown[][]): boolean {
  const first = values[0];
  return values.every((row) => SHARED_INSERT_VALUES.every((index) => row[index] === first[index]));
}

/** insert's parameters: one array per column. */
function perRowColumns(values: unknown[][]): unknown[][] {
  return values[0].map((_, index) => values.map((row) => row[index]));
}

/** insertUniform's parameters: the ids, args and kwargs arrays, then the shared values once. */
function uniformColumns(values: unknown[][]): unknown[] {
  return [...[0, 4, 5].map((index) => values.map((row) => row[index])), ...SHARED_INSERT_VALUES.map((index) => values[0][index])];
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

/** What applyOn needs of a pool or of a transaction's client. */
interface PgQueryable {
  query(text: string, values: unknown[]): Promise<{ rows: unknown[] }>;
}

/** The ids of the written rows that reached a final status. */
function* finishedIds(rows: { id: string; status: TaskResultStatus }[]): Iterable<string> {
  for (const row of rows) if (FINISHED_STATUSES.includes(row.status)) yield row.id;
}
