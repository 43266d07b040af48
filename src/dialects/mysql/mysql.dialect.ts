import type { Pool, PoolConnection, ResultSetHeader } from 'mysql2';
import type { DataSource, EntityManager } from 'typeorm';
import type { AttemptRef } from '../../core/attempt-ref';
import type { TaskRow } from '../../core/task-row';
import { isRelative, TaskTime } from '../../core/task-time';
import { claimed, rescued, TaskChange } from '../../core/task.transitions';
import { TaskResultStatus } from '../../task-result-status.enum';
import { cancelTask } from '../shared/cancel.loop';
import { unstorableChange, writeChangesSafely } from '../shared/change.fallback';
import { collectDueRows, DueRowProbes } from './mysql-due-rows';
import { insertValues } from '../shared/insert-columns';
import { missingTableError } from '../shared/missing-table.error';
import { mapTaskRow, toClaimedTask } from '../shared/task-row.mapper';
import type {
  CancelOutcome, ClaimedTask, ClaimRequest, LeaseRenewal, NewTaskRow, PruneRequest, TaskDialect,
} from '../task-dialect.interface';
import { MYSQL } from './mysql.statements';

const ROWS_PER_INSERT = 1000;
/** Statements stay well under max_allowed_packet (16 MB on MariaDB, 64 MB on MySQL 8 by default). */
const STATEMENT_BYTES = 4 * 1024 * 1024;
/** Room for the rest of a statement around one large JSON value. */
const PACKET_HEADROOM = 64 * 1024;

/** Beyond this many queues one sorted range scan beats a union of per-queue heads. */
const MAX_MERGED_QUEUES = 32;

/** The same shape for mysql2's Pool and for the primary's PoolNamespace under replication. */
type Queryable = Pick<Pool, 'query' | 'getConnection'>;
type Row = Record<string, unknown>;

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
  private readonly pool: Queryable;
  private maxPacket = 16 * 1024 * 1024;

  constructor(dataSource: DataSource) {
    const driver = dataSource.driver as unknown as { pool?: Pool; poolCluster?: { of(pattern: string): Queryable } };
    const pool = driver.pool ?? driver.poolCluster?.of('MASTER');
    if (!pool) throw new Error('The MySQL DataSource is not initialised.');
    this.pool = pool;
  }

  async insert(rows: NewTaskRow[], manager?: EntityManager): Promise<void> {
    if (rows.length === 0) return;
    const chunks = chunk(rows, ROWS_PER_INSERT, (row) => row.args.length + row.kwargs.length + 512);
    const statement = (part: NewTaskRow[]) => [MYSQL.insert(part.length), part.flatMap((row) => insertValues(row, (date) => date))] as const;
    if (manager) {
      for (const part of chunks) await manager.query(...statement(part));
    } else if (chunks.length === 1) {
      await query(this.pool, ...statement(chunks[0]));
    } else {
      // enqueueMany is all or nothing, however many statements it takes.
      await this.transaction(false, async (connection) => {
        for (const part of chunks) await query(connection, ...statement(part));
      });
    }
  }

  async claim({ workerId, queues, limit, leaseMs }: ClaimRequest): Promise<ClaimedTask[]> {
    const change = claimed(workerId, leaseMs);
    const lease = isRelative(change.leaseExpiresAt) ? change.leaseExpiresAt.afterNow : leaseMs;
    return this.transaction(true, async (connection) => {
      const names = queues ?? (await this.queuesWithReadyRows(connection));
      if (names.length === 0) return [];
      const rows = names.length > MAX_MERGED_QUEUES
        ? await query<Row[]>(connection, MYSQL.dueAnywhere(queues !== null), queues ? [names, limit] : [limit])
        : await collectDueRows(names, limit, probes(connection));
      if (rows.length === 0) return [];
      await query(connection, MYSQL.claim, [change.claimedBy, lease, change.claimedBy, rows.map((row) => row.id)]);
      return rows.map((row) => toClaimedTask(row, 1));
    });
  }

  /**
   * Any queue: the queues that have READY rows, one index probe each (neither MySQL nor
   * MariaDB skip-scans the claim index for a DISTINCT, which reads every READY entry). Past
   * MAX_MERGED_QUEUES the list is cut short, as the claim then filters nothing by queue.
   */
  private async queuesWithReadyRows(connection: PoolConnection): Promise<string[]> {
    const names: string[] = [];
    while (names.length <= MAX_MERGED_QUEUES) {
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
    const fitting = changes.map((change) =>
      change.returnValue !== null && Buffer.byteLength(change.returnValue) > this.maxPacket - PACKET_HEADROOM
        ? unstorableChange(change, `it is larger than the server's max_allowed_packet (${this.maxPacket} bytes)`)
        : change);
    await writeChangesSafely(fitting, isDataError, (batch) => this.apply(workerId, batch));
  }

  private async apply(workerId: string, changes: TaskChange[]): Promise<void> {
    const completions = changes.filter((change) => change.status === TaskResultStatus.SUCCESSFUL && !change.error && !change.uncharge);
    // The common case, a batch of successes, is one statement: per-row values picked by id.
    for (const part of chunk(completions, Infinity, (change) => (change.returnValue?.length ?? 4) * 3 + 128)) {
      await query(this.pool, MYSQL.complete(part.length), [
        ...part.flatMap((change) => [change.ref.id, change.returnValue]),
        part.map((change) => change.ref.id), workerId,
        ...part.flatMap((change) => [change.ref.id, change.ref.attempt]),
      ]);
    }
    // Rarer changes, one statement each.
    for (const change of changes) {
      if (!completions.includes(change)) await query(this.pool, MYSQL.finish, finishValues(workerId, change));
    }
  }

  async renew(workerId: string, ids: string[], leaseMs: number): Promise<LeaseRenewal> {
    const rows = await query<{ id: string; attempt: number; cancel_requested: number }[]>(this.pool, MYSQL.held, [ids, workerId]);
    if (rows.length > 0) await query(this.pool, MYSQL.renew, [leaseMs, rows.map((row) => row.id), workerId]);
    return {
      held: rows.map((row) => ({ id: row.id, attempt: Number(row.attempt) })),
      cancelRequested: rows.filter((row) => row.cancel_requested).map((row) => row.id),
    };
  }

  async rescue(limit: number): Promise<string[]> {
    // Nearly always there is nothing to rescue: find that out without a transaction.
    if ((await query<Row[]>(this.pool, MYSQL.expired, [1])).length === 0) return [];
    return this.transaction(true, async (connection) => {
      const rows = await query<{ id: string; attempt: number; max_attempts: number; claimed_by: string; now: string }[]>(
        connection, `${MYSQL.expired} FOR UPDATE SKIP LOCKED`, [limit]);
      for (const row of rows) {
        const change = rescued({ id: row.id, attempt: Number(row.attempt), maxAttempts: Number(row.max_attempts), claimedBy: row.claimed_by },
          new Date(row.now));
        await query(connection, MYSQL.finish, finishValues(row.claimed_by, change));
      }
      return rows.map((row) => row.id);
    });
  }

  cancel(id: string): Promise<CancelOutcome> {
    return cancelTask(id, {
      cancelReady: async (taskId) => (await query<ResultSetHeader>(this.pool, MYSQL.cancelReady, [taskId])).affectedRows > 0,
      cancelRunning: async (taskId) => (await query<ResultSetHeader>(this.pool, MYSQL.cancelRunning, [taskId])).affectedRows > 0,
      status: async (taskId) => (await query<{ status: TaskResultStatus }[]>(this.pool, MYSQL.status, [taskId]))[0]?.status ?? null,
    });
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
    return this.transaction(true, async (connection) => {
      const result = await query<ResultSetHeader>(connection, MYSQL.prune(queues !== null),
        queues ? [statuses, at, delay, queues, batchSize] : [statuses, at, delay, batchSize]);
      return result.affectedRows;
    });
  }

  async now(): Promise<Date> {
    return new Date((await query<{ now: string }[]>(this.pool, MYSQL.now))[0].now);
  }

  async checkSchema(): Promise<void> {
    const rows = await query<{ max_packet: number | string }[]>(this.pool, MYSQL.schema);
    if (rows.length === 0) throw missingTableError();
    this.maxPacket = Number(rows[0].max_packet) || this.maxPacket;
  }

  async close(): Promise<void> {
    // The pool belongs to the DataSource.
  }

  /** Runs `work` in a transaction on one pooled connection; `readCommitted` for this transaction only. */
  private async transaction<T>(readCommitted: boolean, work: (connection: PoolConnection) => Promise<T>): Promise<T> {
    const connection = await new Promise<PoolConnection>((resolve, reject) =>
      this.pool.getConnection((error, connection) => (error ? reject(error) : resolve(connection))));
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
  }}

function probes(connection: PoolConnection): DueRowProbes {
  return {
    queuesWithReadyRows: async () => [],
    async topPriority(queue, below) {
      const rows = await query<{ priority: number | null }[]>(connection,
        below === null ? MYSQL.topPriority : MYSQL.topPriorityBelow, below === null ? [queue] : [queue, below]);
      return rows[0]?.priority ?? null;
    },
    dueAt: (queue, priority, limit) => query<Row[]>(connection, MYSQL.dueAt, [queue, priority, limit]),
  };
}

/** `[date, null]` for an absolute time, `[null, ms]` for one relative to the database's now. */
function timeParams(time: TaskTime): [Date | null, number | null] {
  return isRelative(time) ? [null, time.afterNow] : [time.at, null];
}

function finishValues(workerId: string, change: TaskChange): unknown[] {
  const [at, delay] = change.runAfter ? timeParams(change.runAfter) : [null, null];
  const error = change.error ? JSON.stringify(change.error) : null;
  const uncharge = change.uncharge ? 1 : 0;
  return [change.status, change.status, change.returnValue, change.returnValue, at, at, delay, delay, error, error,
    uncharge, uncharge, uncharge, change.ref.id, workerId, change.ref.attempt];
}

function query<T = unknown>(target: Pick<Pool, 'query'>, sql: string, values: unknown[] = []): Promise<T> {
  return new Promise((resolve, reject) => {
    (target.query as (sql: string, values: unknown[], callback: (error: Error | null, result: unknown) => void) => void)(
      sql, values, (error, result) => (error ? reject(error) : resolve(result as T)));
  });
}

/** Splits `items` into runs of at most `maxItems` and about STATEMENT_BYTES of payload. */
function chunk<T>(items: T[], maxItems: number, bytes: (item: T) => number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const item of items) {
    const itemBytes = bytes(item);
    if (current.length > 0 && (current.length >= maxItems || size + itemBytes > STATEMENT_BYTES)) {
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

/** The server refused a value (bad JSON, constraint), as opposed to a lost connection. */
function isDataError(error: unknown): boolean {
  const { sqlState, fatal } = error as { sqlState?: string; fatal?: boolean };
  return !fatal && typeof sqlState === 'string' && (sqlState.startsWith('22') || sqlState.startsWith('23'));
}
