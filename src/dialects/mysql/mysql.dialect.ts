import { MYSQL_QUEUES } from './queues.statements';
import { MYSQL_LIMITS } from './limits.statements';
import type { Pool, PoolConnection, ResultSetHeader } from 'mysql2';
import type { DataSource, EntityManager } from 'typeorm';
import type { AttemptRef } from '../../core/attempt-ref';
import type { TaskRow } from '../../core/task-row';
import { isRelative, TaskTime } from '../../core/task-time';
import { claimed, isPlainSuccess, rescued, TaskChange } from '../../core/task.transitions';
import type { TaskResultStatus } from '../../task-result-status.enum';
import { cancelTask } from '../shared/cancel.loop';
import { unstorableChange, writeChangesSafely } from '../shared/change.fallback';
import { collectDueRows, DueRowProbes, PriorityPath } from './mysql-due-rows';
import { insertValues } from '../shared/insert-columns';
import { QueueDepthRow, toQueueDepthRows } from '../shared/queue-depth';
import { missingTableError } from '../shared/missing-table.error';
import { dateFormatter, mapTaskRow, toClaimedTask, toUtcDateTime } from '../shared/task-row.mapper';
import { storedReturnValue } from '../../serialization/stored-return-value';
import type {
  CancelOutcome, ClaimedTask, ClaimRequest, LeaseRenewal, NewTaskRow, PruneRequest, SparedAttempts, TaskDialect,
} from '../task-dialect.interface';
import { notSpared } from '../shared/spared-attempts';
import { MYSQL, MYSQL_WORKFLOW } from './mysql.statements';
import { mysqlSchedules } from './mysql-schedules';
import { mysqlOperations } from './mysql-operations';
import type { OperationsDialect } from '../operations-dialect.interface';
import type { ScheduleDialect } from '../schedule-dialect.interface';
import type { KeyedTask, UniquenessDialect } from '../../uniqueness/uniqueness-dialect.interface';
import { MYSQL_UNIQUE } from '../../uniqueness/mysql.unique-statements';
import type { SqlRunner } from '../workflow-statements.interface';
import { newSettleReport } from '../shared/dependents.settle';
import { afterFinish, announceSettled, cancelWithDependents, managerRunner } from '../shared/workflow.store';
import { createMysqlMaintenancePool } from './mysql-connections';
import { quotedBytes } from './mysql-packet';
import { unsupportedServer } from './mysql-version';
import { TasksError } from '../../task.errors';

const ROWS_PER_INSERT = 1000;
/** Reported when the server still answers before dropping the connection. */
const ER_NET_PACKET_TOO_LARGE = 1153;
/** Statements stay well under max_allowed_packet (16 MB on MariaDB, 64 MB on MySQL 8 by default). */
const STATEMENT_BYTES = 4 * 1024 * 1024;
/**
 * Room for the rest of a statement around one large JSON value. A statement over the server's
 * max_allowed_packet is not refused with an error the client sees: the server drops the
 * connection (mysql2 reports ECONNRESET, as for an outage), so no statement may be sent that
 * could exceed it.
 */
const PACKET_HEADROOM = 64 * 1024;

/** The same shape for mysql2's Pool and for the primary's PoolNamespace under replication. */
type Queryable = Pick<Pool, 'query' | 'getConnection'>;
type Row = Record<string, unknown>;

/** InnoDB's deadlock victim (a unique-key upsert's transaction), and how often one is run before giving up. */
const ER_LOCK_DEADLOCK = 1213;
const DEADLOCK_ATTEMPTS = 10;
/** Autocommitted skip enqueues of one key whose pending task was claimed before it was read, before a transaction settles it. */
const SKIP_ATTEMPTS = 3;

/**
 * MySQL 8 and MariaDB 10.6+ through the DataSource's own mysql2 pool. Neither has UPDATE …
 * RETURNING, so a claim is a short transaction: lock due rows with `SELECT … FOR UPDATE SKIP
 * LOCKED`, then update them by primary key. The claim, the rescue and the prune run at READ
 * COMMITTED: under the default REPEATABLE READ their range scans would take next-key locks on
 * the indexes, so enqueues and finishes inserting entries into those gaps would wait for them,
 * and concurrent claims inserting RUNNING entries into gaps locked by one another risk
 * deadlocks. Every other write touches rows by primary key only (record locks, no gaps), in
 * primary key order.
 */
export class MysqlDialect implements TaskDialect {
  readonly name = 'mysql' as const;
  readonly workflow = MYSQL_WORKFLOW;
  readonly queues = MYSQL_QUEUES;
  readonly limits = MYSQL_LIMITS;
  private readonly pool: Queryable;
  /** Renewals and rescues, on a connection of their own (see createMysqlMaintenancePool); opened by the first. */
  private maintenance?: Pool;
  private maxPacket = 16 * 1024 * 1024;
  /** Per queue, where its last claim found due rows (see collectDueRows). */
  private readonly paths = new Map<string, PriorityPath>();

  constructor(private readonly dataSource: DataSource) {
    const driver = dataSource.driver as unknown as { pool?: Pool; poolCluster?: { of(pattern: string): Queryable } };
    const pool = driver.pool ?? driver.poolCluster?.of('MASTER');
    if (!pool) throw new Error('The MySQL DataSource is not initialised.');
    this.pool = pool;
  }

  async insert(rows: NewTaskRow[], manager?: EntityManager): Promise<void> {
    if (rows.length === 0) return;
    const chunks = chunk(rows, ROWS_PER_INSERT, this.statementBytes(), (row) => row.args.length + row.kwargs.length + 512);
    // UTC text: mysql2 would format a Date in the process's time zone.
    const text = dateFormatter(toUtcDateTime);
    const statement = (part: NewTaskRow[]) => [MYSQL.insert(part.length), part.flatMap((row) => insertValues(row, text))] as const;
    if (manager) {
      for (const part of chunks) await manager.query(...statement(part));
    } else if (chunks.length === 1) {
      await query(this.pool, ...statement(chunks[0]));
    } else {
      // enqueueMany is all or nothing, however many statements it takes.
      await this.inTransaction(false, async (connection) => {
        for (const part of chunks) await query(connection, ...statement(part));
      });
    }
  }

  async claim({ workerId, queues, limit, leaseMs, except }: ClaimRequest): Promise<ClaimedTask[]> {
    const change = claimed(workerId, leaseMs);
    const lease = isRelative(change.leaseExpiresAt) ? change.leaseExpiresAt.afterNow : leaseMs;
    return this.inTransaction(true, async (connection) => {
      const all = queues ?? (await this.queuesWithReadyRows(connection));
      const names = except?.length ? all.filter((name) => !except.includes(name)) : all;
      if (names.length === 0) return [];
      // Always index-ordered, however many queues: a sorted range over several queues would be
      // filesorted, and a filesort under FOR UPDATE locks every due row it reads, so concurrent
      // claimers would find nothing. Each queue's walk locks at most `limit` rows.
      const rows = await collectDueRows(names, limit, probes(connection), this.paths);
      if (rows.length === 0) return [];
      await query(connection, MYSQL.claim, [change.claimedBy, lease, change.claimedBy, rows.map((row) => row.id)]);
      return rows.map((row) => toClaimedTask(row, 1));
    });
  }

  /**
   * Any queue: the queues that have READY rows, one index probe each (neither MySQL nor
   * MariaDB skip-scans the claim index for a DISTINCT, which reads every READY entry).
   */
  private async queuesWithReadyRows(connection: PoolConnection): Promise<string[]> {
    const names: string[] = [];
    for (;;) {
      const after = names.length > 0 ? names[names.length - 1] : null;
      const rows: { name: string | null }[] = await query(connection, after === null ? MYSQL.firstQueue : MYSQL.nextQueue,
        after === null ? [] : [after]);
      const name = rows[0]?.name;
      if (name === null || name === undefined) break;
      names.push(name);
    }
    return names;
  }

  async finish(workerId: string, changes: TaskChange[]): Promise<void> {
    const write = () => writeChangesSafely(changes.map((change) => this.fitting(change)), isDataError,
      (batch) => this.apply(workerId, batch));
    try {
      await write();
    } catch (error) {
      // The server's setting may have been lowered since it was read, making one of these
      // statements too large: the connection then drops as in an outage. Checked again, such a
      // change is recorded as a failed attempt; a real outage fails here too and the batch is retried.
      if (isDataError(error) || !(await this.maxPacketChanged())) throw error;
      await write();
    }
  }

  /** The change, or a failed attempt in its place if its value cannot fit in a statement. */
  private fitting(change: TaskChange): TaskChange {
    const limit = this.maxPacket - PACKET_HEADROOM;
    const bytes = Math.max(
      change.returnValue === null ? 0 : quotedBytes(storedReturnValue(change.returnValue)),
      change.error === null ? 0 : quotedBytes(JSON.stringify(change.error)));
    return bytes > limit
      ? unstorableChange(change, `it takes ${bytes} bytes in a statement, over the server's max_allowed_packet (${this.maxPacket} bytes)`)
      : change;
  }

  private async maxPacketChanged(): Promise<boolean> {
    try {
      const rows = await query<{ max_packet: number | string }[]>(this.pool, 'SELECT @@max_allowed_packet AS max_packet');
      const before = this.maxPacket;
      this.maxPacket = Number(rows[0].max_packet) || before;
      return this.maxPacket !== before;
    } catch {
      return false;
    }
  }

  private async apply(workerId: string, changes: TaskChange[]): Promise<void> {
    // Tasks known to have dependents are finished with them, in one transaction.
    const known = changes.filter((change) => change.hasDependents);
    if (known.length > 0) await this.finishWithDependents(workerId, known);
    const rest = known.length > 0 ? changes.filter((change) => !change.hasDependents) : changes;
    const completions = rest.filter(isPlainSuccess);
    // The common case, a batch of successes, is one statement: per-row values picked by id.
    for (const part of chunk(completions, Infinity, this.statementBytes(), (change) => change.returnValue.length * 3 + 128)) {
      const ids = part.map((change) => change.ref.id);
      const result = await query<ResultSetHeader>(this.pool, MYSQL.complete(part.length), [
        ...part.flatMap((change) => [change.ref.id, storedReturnValue(change.returnValue)]),
        ids, workerId,
        ...part.flatMap((change) => [change.ref.id, change.ref.attempt]),
      ]);
      if (result.affectedRows < part.length) {
        // Tasks found to have dependents are finished with them, in one transaction.
        const rows = await query<{ id: string }[]>(this.pool,
          "SELECT id FROM task_results WHERE id IN (?) AND status = 'RUNNING' AND claimed_by = ? AND has_dependents = 1", [ids, workerId]);
        const left = new Set(rows.map((row) => row.id));
        if (left.size > 0) await this.finishWithDependents(workerId, part.filter((change) => left.has(change.ref.id)));
      }
    }
    // Rarer changes, one statement each.
    for (const change of rest) {
      if (isPlainSuccess(change)) continue;
      const result = await query<ResultSetHeader>(this.pool, MYSQL.finish, finishValues(workerId, change, false));
      if (result.affectedRows === 0) await this.finishWithDependents(workerId, [change]);
    }
  }

  /** Changes of tasks that have dependents, and their dependents' release or cancellation, in one transaction. */
  private async finishWithDependents(workerId: string, changes: TaskChange[]): Promise<void> {
    const report = newSettleReport();
    // In id order, as every statement that locks several rows of one worker does.
    const ordered = [...changes].sort((a, b) => (a.ref.id < b.ref.id ? -1 : 1));
    await this.inTransaction(false, async (connection) => {
      for (const change of ordered) {
        const result = await query<ResultSetHeader>(connection, MYSQL.finish, finishValues(workerId, change, true));
        if (result.affectedRows > 0) await afterFinish(runnerOf(connection), this, change.ref.id, report);
      }
    });
    announceSettled(this, report);
  }

  async renew(workerId: string, ids: string[], leaseMs: number): Promise<LeaseRenewal> {
    const maintenance = this.maintenancePool();
    // Renew, then read what is held: read first, a row rescued between the two would be reported held.
    await query(maintenance, MYSQL.renew, [leaseMs, ids, workerId]);
    const rows = await query<{ id: string; attempt: number; cancel_requested: number }[]>(maintenance, MYSQL.held, [ids, workerId]);
    return {
      held: rows.map((row) => ({ id: row.id, attempt: Number(row.attempt) })),
      cancelRequested: rows.filter((row) => row.cancel_requested).map((row) => row.id),
    };
  }

  async rescue(limit: number, spared?: () => SparedAttempts): Promise<string[]> {
    // Nearly always there is nothing to rescue: find that out without a transaction.
    const maintenance = this.maintenancePool();
    if (notSpared(await query<{ id: string; claimed_by: string }[]>(maintenance, MYSQL.expired, [limit]), spared).length === 0) return [];
    return this.inTransaction(true, async (connection) => {
      const rows = notSpared(await query<{ id: string; attempt: number; max_attempts: number; claimed_by: string; now: string }[]>(
        connection, `${MYSQL.expired} FOR UPDATE SKIP LOCKED`, [limit]), spared);
      for (const row of rows) {
        const change = rescued({ id: row.id, attempt: Number(row.attempt), maxAttempts: Number(row.max_attempts), claimedBy: row.claimed_by },
          new Date(row.now));
        const result = await query<ResultSetHeader>(connection, MYSQL.finish, finishValues(row.claimed_by, change, true));
        if (result.affectedRows > 0) await afterFinish(runnerOf(connection), this, row.id, newSettleReport());
      }
      return rows.map((row) => row.id);
    }, maintenance);
  }

  cancel(id: string): Promise<CancelOutcome> {
    return cancelTask(id, {
      cancelReady: async (taskId) => (await query<ResultSetHeader>(this.pool, MYSQL.cancelReady, [taskId])).affectedRows > 0,
      cancelRunning: async (taskId) => (await query<ResultSetHeader>(this.pool, MYSQL.cancelRunning, [taskId])).affectedRows > 0,
      status: async (taskId) => (await query<{ status: TaskResultStatus }[]>(this.pool, MYSQL.status, [taskId]))[0]?.status ?? null,
      cancelWithDependents: (taskId) => cancelWithDependents(this, taskId),
    });
  }

  read<R>(sql: string, params: unknown[]): Promise<R[]> {
    return query<R[]>(this.pool, sql, params);
  }

  transaction<T>(work: (run: SqlRunner) => Promise<T>, manager?: EntityManager): Promise<T> {
    if (manager) return work(managerRunner(manager));
    // READ COMMITTED: the edges are read by index ranges, which REPEATABLE READ would gap-lock.
    return this.inTransaction(true, (connection) => work(runnerOf(connection)));
  }

  async progress(workerId: string, ref: AttemptRef, progress: string): Promise<void> {
    await query(this.pool, MYSQL.progress, [progress, ref.id, workerId, ref.attempt]);
  }

  async find(id: string): Promise<Partial<TaskRow> | null> {
    const rows = await query<Row[]>(this.pool, MYSQL.find, [id]);
    return rows.length > 0 ? mapTaskRow(rows[0]) : null;
  }

  async prune({ olderThan, statuses, queues, batchSize }: PruneRequest): Promise<number> {
    const [at, delay] = timeParams(olderThan);
    // A range delete at REPEATABLE READ would gap-lock the end of the finished range, where
    // every finishing task inserts its index entry.
    return this.inTransaction(true, async (connection) => {
      const params = queues ? [statuses, at, delay, queues, batchSize] : [statuses, at, delay, batchSize];
      const rows = await query<{ id: string }[]>(connection, MYSQL.pruneIds(queues !== null), params);
      if (rows.length === 0) return 0;
      const ids = rows.map((row) => row.id);
      await query(connection, MYSQL.pruneEdges, [ids]);
      return (await query<ResultSetHeader>(connection, MYSQL.pruneByIds, [ids])).affectedRows;
    });
  }

  async queueDepth(): Promise<QueueDepthRow[]> {
    return toQueueDepthRows(await query<Record<string, unknown>[]>(this.pool, MYSQL.queueDepth));
  }

  async now(): Promise<Date> {
    return new Date((await query<{ now: string }[]>(this.pool, MYSQL.now))[0].now);
  }

  schedules(): ScheduleDialect {
    return mysqlSchedules(this.pool, (work) => this.inTransaction(false, work));
  }

  operations(): OperationsDialect {
    return mysqlOperations(this.pool, () => this.maintenancePool(), (work) => this.inTransaction(true, work));
  }

  uniqueness(): UniquenessDialect {
    // Concurrent upserts of one key lock the same index entries in different orders, and InnoDB
    // settles that by rolling one transaction back: ours is run again; the caller's (with
    // `manager`) is gone, so the error is theirs to handle.
    const retried = async <T>(work: () => Promise<T>, manager?: EntityManager): Promise<T> => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await work();
        } catch (error) {
          if (manager || attempt >= DEADLOCK_ATTEMPTS || (error as { errno?: number }).errno !== ER_LOCK_DEADLOCK) throw error;
        }
      }
    };
    return {
      statements: MYSQL_UNIQUE,
      transaction: (work, manager) => retried(() => this.transaction(work, manager), manager),
      single: (task) => retried(() => (task.replace ? this.keyedReplace(task) : this.keyedSkip(task))),
    };
  }

  /**
   * A skip enqueue, autocommitted: the upsert changes nothing when a pending task holds the key,
   * so that task can be read after the commit, and if a worker claimed it in between, the
   * enqueue is simply made again (it may now insert the follow-up); after a few such misses, a
   * transaction settles it (null: see `single`).
   */
  private async keyedSkip(task: KeyedTask): Promise<Row | null> {
    const sql = MYSQL_UNIQUE;
    for (let attempt = 1; attempt <= SKIP_ATTEMPTS; attempt++) {
      const header = await query<ResultSetHeader>(this.pool, sql.upsert, sql.upsertParams(task));
      if (Number(header.insertId) === 0) return { id: task.row.id };
      const [pending] = await query<Row[]>(this.pool, sql.pending, sql.pendingParams(task.row.taskName, task.row.uniqueKey));
      if (pending) return pending;
    }
    return null;
  }

  /**
   * A replace changes the pending task, which must then be read under the upsert's lock, in its
   * transaction; only when the key was free is there nothing to read. The server's isolation
   * level is kept: the upsert locks the key's index entry and the read is an equality on that
   * unique index, the same locks at REPEATABLE READ as at READ COMMITTED.
   */
  private keyedReplace(task: KeyedTask): Promise<Row> {
    const sql = MYSQL_UNIQUE;
    return this.inTransaction(false, async (connection) => {
      const header = await query<ResultSetHeader>(connection, sql.upsert, sql.upsertParams(task));
      if (Number(header.insertId) === 0) return { id: task.row.id };
      const [pending] = await query<Row[]>(connection, sql.pendingLocked, sql.pendingParams(task.row.taskName, task.row.uniqueKey));
      // The upsert holds the pending row's lock: it cannot be gone (this rolls the replace back).
      if (!pending) throw new TasksError(`Enqueue of ${task.row.taskName} with key "${task.row.uniqueKey}" found no pending task after its upsert.`);
      return pending;
    });
  }

  async checkSchema(): Promise<void> {
    const rows = await query<{ max_packet: number | string; version: string }[]>(this.pool, MYSQL.schema);
    if (rows.length === 0) throw missingTableError();
    const unsupported = unsupportedServer(rows[0].version);
    if (unsupported) throw new TasksError(unsupported);
    this.maxPacket = Number(rows[0].max_packet) || this.maxPacket;
  }

  async close(): Promise<void> {
    // The pool belongs to the DataSource; only the maintenance connection is ours.
    const maintenance = this.maintenance;
    this.maintenance = undefined;
    if (maintenance) await new Promise<void>((resolve) => maintenance.end(() => resolve()));
  }

  /** Payload per statement: well under the server's max_allowed_packet. */
  private statementBytes(): number {
    return Math.min(STATEMENT_BYTES, this.maxPacket - PACKET_HEADROOM);
  }

  private maintenancePool(): Pool {
    return (this.maintenance ??= createMysqlMaintenancePool(this.dataSource));
  }

  /** Runs `work` in a transaction on one pooled connection; `readCommitted` for this transaction only. */
  private async inTransaction<T>(readCommitted: boolean, work: (connection: PoolConnection) => Promise<T>, pool: Queryable = this.pool): Promise<T> {
    const connection = await new Promise<PoolConnection>((resolve, reject) =>
      pool.getConnection((error, connection) => (error ? reject(error) : resolve(connection))));
    // A connection that dies while idle in the pool must not crash the process.
    if (connection.listenerCount('error') === 0) connection.on('error', () => undefined);
    try {
      if (readCommitted) await query(connection, 'SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
      await query(connection, 'START TRANSACTION');
      const result = await work(connection);
      await query(connection, 'COMMIT');
      connection.release();
      return result;
    } catch (error) {
      try {
        await query(connection, 'ROLLBACK');
        connection.release();
      } catch {
        connection.destroy();
      }
      throw error;
    }
  }
}

function probes(connection: PoolConnection): DueRowProbes {
  return {
    async topPriorities(queues) {
      const rows = await query<{ queue: string; priority: number }[]>(connection, MYSQL.topPriorities(queues.length),
        queues.flatMap((queue) => [queue, queue, queue]));
      return new Map(rows.map((row) => [row.queue, Number(row.priority)]));
    },
    async dueAlong(queue, path, limit) {
      const last = path[path.length - 1];
      const rows = await query<Row[]>(connection, MYSQL.dueAlong(path.length), [
        queue, last, ...(path.length > 1 ? [queue, path.slice(0, -1)] : []), limit,
        0, queue, queue,
        ...path.flatMap((priority, step) => [step + 1, queue, priority]),
      ]);
      const priorities: (number | null)[] = Array(path.length + 1).fill(null);
      for (const row of rows) if (row.probe !== null) priorities[Number(row.probe)] = Number(row.priority);
      return { rows: rows.filter((row) => row.probe === null), priorities };
    },
    async dueIn(buckets) {
      const rows = await query<Row[]>(connection, MYSQL.dueIn(buckets.length),
        buckets.flatMap(({ queue, priority, limit }) => [queue, priority, limit, queue, queue, priority]));
      const below = new Map<string, number>();
      for (const row of rows) if (row.id === null) below.set(row.queue_name as string, Number(row.priority));
      return { rows: rows.filter((row) => row.id !== null), below };
    },
  };
}

/** `[UTC text, null]` for an absolute time, `[null, ms]` for one relative to the database's now. */
function timeParams(time: TaskTime): [string | null, number | null] {
  return isRelative(time) ? [null, time.afterNow] : [toUtcDateTime(time.at), null];
}

function runnerOf(connection: PoolConnection): SqlRunner {
  return {
    query: async <R>(sql: string, params: unknown[]) => {
      const result = await query<unknown>(connection, sql, params);
      return (Array.isArray(result) ? result : []) as R[];
    },
  };
}

function finishValues(workerId: string, change: TaskChange, withDependents: boolean): unknown[] {
  const [at, delay] = change.runAfter ? timeParams(change.runAfter) : [null, null];
  const error = change.error ? JSON.stringify(change.error) : null;
  const uncharge = change.uncharge ? 1 : 0;
  const returnValue = change.returnValue === null ? null : storedReturnValue(change.returnValue);
  return [change.status, change.status, returnValue, returnValue, at, at, delay, delay, error, error,
    uncharge, uncharge, uncharge, change.ref.id, workerId, change.ref.attempt, withDependents ? 1 : 0];
}

function query<T = unknown>(target: Pick<Pool, 'query'>, sql: string, values: unknown[] = []): Promise<T> {
  return new Promise((resolve, reject) => {
    (target.query as (sql: string, values: unknown[], callback: (error: Error | null, result: unknown) => void) => void)(
      sql, values, (error, result) => (error ? reject(error) : resolve(result as T)));
  });
}

/** Splits `items` into runs of at most `maxItems` and `maxBytes` of payload (or one larger item). */
function chunk<T>(items: T[], maxItems: number, maxBytes: number, bytes: (item: T) => number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const item of items) {
    const itemBytes = bytes(item);
    if (current.length > 0 && (current.length >= maxItems || size + itemBytes > maxBytes)) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += itemBytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** The server refused a value (bad JSON, constraint, a packet too large), as opposed to a lost connection. */
function isDataError(error: unknown): boolean {
  const { sqlState, fatal, errno } = error as { sqlState?: string; fatal?: boolean; errno?: number };
  if (errno === ER_NET_PACKET_TOO_LARGE) return true;
  return !fatal && typeof sqlState === 'string' && (sqlState.startsWith('22') || sqlState.startsWith('23'));
}
