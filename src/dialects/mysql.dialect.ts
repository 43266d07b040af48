import type { Pool, PoolConnection, ResultSetHeader } from 'mysql2';
import type { DataSource, EntityManager } from 'typeorm';
import { FINISHED_STATUSES, TaskResultStatus } from '../task-result-status.enum';
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
import { dateFormatter, mapTaskRow, toUtcDateTime } from './task-row.mapper';
import { missingTableError } from './sqlite.dialect';
import { unstorableOutcome, writeOutcomesSafely } from './task-outcome.fallback';
import { createMysqlMaintenancePool } from './mysql-connections';
import { quotedBytes } from './mysql-packet';
import { storedReturnValue } from '../serialization/stored-return-value';

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

/** Beyond this many queues one sorted range scan beats a union of per-queue heads. */
const MAX_MERGED_QUEUES = 32;

const INSERT_ROW = "(?, ?, 'READY', ?, ?, ?, ?, ?, ?, ?, ?, 0, '[]', '[]', 0)";

/**
 * The database's clock, in UTC: every time compared (is a task due, has a lease expired) and every
 * time a worker writes comes from the server, so processes with other clocks or time zones agree.
 * Dates the application gives (runAfter, a retry's time) are sent as UTC text.
 */
const NOW = 'UTC_TIMESTAMP(3)';
/** `NOW` plus a parameter in milliseconds. */
const NOW_PLUS_MS = `(${NOW} + INTERVAL ? * 1000 MICROSECOND)`;
/** DATETIME columns read as UTC text: mysql2 would turn them into Dates in the process's time zone. */
const ROW_COLUMNS = `id, task_name, status, queue_name, priority, args, kwargs, backend, max_attempts, errors, worker_ids,
  progress, return_value, claimed_by, cancel_requested, ${
  ['run_after', 'enqueued_at', 'started_at', 'finished_at', 'last_attempted_at', 'lease_expires_at']
    .map((column) => `CAST(${column} AS CHAR) AS ${column}`).join(', ')}`;

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
  /** Renewals and rescues, on a connection of their own (see createMysqlMaintenancePool); opened by the first. */
  private maintenance?: Pool;
  private maxPacket = 16 * 1024 * 1024;

  constructor(private readonly dataSource: DataSource) {
    const driver = dataSource.driver as unknown as { pool?: Pool; poolCluster?: { of(pattern: string): Queryable } };
    const pool = driver.pool ?? driver.poolCluster?.of('MASTER');
    if (!pool) throw new Error('The MySQL DataSource is not initialised.');
    this.pool = pool;
  }

  async insert(rows: NewTaskRow[], manager?: EntityManager): Promise<void> {
    if (rows.length === 0) return;
    const chunks = chunk(rows, ROWS_PER_INSERT, this.statementBytes(), (row) => row.args.length + row.kwargs.length + 512);
    const text = dateFormatter(toUtcDateTime);
    const statement = (part: NewTaskRow[]) => {
      const values: unknown[] = [];
      for (const row of part) {
        values.push(row.id, row.taskName, row.queueName, row.priority, row.args, row.kwargs, row.backend, text(row.runAfter),
          text(row.enqueuedAt), row.maxAttempts);
      }
      const sql = `INSERT INTO task_results (id, task_name, status, queue_name, priority, args, kwargs, backend, run_after,
                     enqueued_at, max_attempts, attempt, errors, worker_ids, cancel_requested)
                   VALUES ${Array(part.length).fill(INSERT_ROW).join(', ')}`;
      return [sql, values] as const;
    };
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
    return this.transaction(true, async (connection) => {
      const names = queues ?? (await this.queuesWithReadyRows(connection));
      if (names.length === 0) return [];
      const due = `
        SELECT id, task_name, queue_name, priority, args, kwargs, attempt, max_attempts, CAST(run_after AS CHAR) AS due_at
          FROM task_results
         WHERE status = 'READY' AND queue_name %QUEUE% AND run_after <= ${NOW}
         ORDER BY priority DESC, run_after, id
         LIMIT ?
           FOR UPDATE SKIP LOCKED`;
      let rows: Row[];
      if (names.length > MAX_MERGED_QUEUES) {
        rows = await query<Row[]>(connection, due.replace('queue_name %QUEUE% AND ', queues ? 'queue_name IN (?) AND ' : ''),
          queues ? [names, limit] : [limit]);
      } else if (names.length === 1) {
        rows = await query<Row[]>(connection, due.replace('%QUEUE%', '= ?'), [names[0], limit]);
      } else {
        // The index is ordered within one queue only: the first rows of each queue, merged
        // here, rather than every READY row of all of them sorted. Rows locked but not taken
        // are released at the commit.
        const heads = await query<Row[]>(connection, names.map(() => `(${due.replace('%QUEUE%', '= ?')})`).join(' UNION ALL '),
          names.flatMap((name) => [name, limit]));
        rows = heads.sort(claimOrder).slice(0, limit);
      }
      if (rows.length === 0) return [];
      await query(connection, `
        UPDATE task_results
           SET status = 'RUNNING', attempt = attempt + 1, claimed_by = ?, lease_expires_at = ${NOW_PLUS_MS},
               started_at = COALESCE(started_at, ${NOW}), last_attempted_at = ${NOW},
               worker_ids = JSON_ARRAY_APPEND(worker_ids, '$', ?)
         WHERE id IN (?)`, [workerId, leaseMs, workerId, rows.map((row) => row.id)]);
      return rows.map((row) => ({
        id: row.id as string,
        taskName: row.task_name as string,
        queueName: row.queue_name as string,
        priority: Number(row.priority),
        args: row.args,
        kwargs: row.kwargs,
        attempt: Number(row.attempt) + 1,
        maxAttempts: Number(row.max_attempts),
      }));
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
      const rows: { name: string | null }[] = await query(connection, after === null
        ? "SELECT MIN(queue_name) AS name FROM task_results WHERE status = 'READY'"
        : "SELECT MIN(queue_name) AS name FROM task_results WHERE status = 'READY' AND queue_name > ?", after === null ? [] : [after]);
      const name = rows[0]?.name;
      if (name === null || name === undefined) break;
      names.push(name);
    }
    return names;
  }

  async finish(workerId: string, outcomes: TaskOutcome[]): Promise<void> {
    const now = new Date();
    const write = () => writeOutcomesSafely(outcomes.map((outcome) => this.fitting(outcome, now)), now, isDataError,
      (batch) => this.writeOutcomes(workerId, batch));
    try {
      await write();
    } catch (error) {
      // The server's setting may have been lowered since it was read, making one of these
      // statements too large: the connection then drops as in an outage. Checked again, such an
      // outcome is recorded as failed; a real outage fails here too and the batch is retried.
      if (isDataError(error) || !(await this.maxPacketChanged())) throw error;
      await write();
    }
  }

  /** The outcome, or a failed attempt in its place if its value cannot fit in a statement. */
  private fitting(outcome: TaskOutcome, now: Date): TaskOutcome {
    const limit = this.maxPacket - PACKET_HEADROOM;
    const tooLarge = (bytes: number) => `it takes ${bytes} bytes in a statement, over the server's max_allowed_packet (${this.maxPacket} bytes)`;
    if (outcome.kind === 'succeeded') {
      const bytes = quotedBytes(storedReturnValue(outcome.returnValue));
      return bytes > limit ? unstorableOutcome(outcome, tooLarge(bytes), now) : outcome;
    }
    if (outcome.kind === 'failed') {
      const bytes = quotedBytes(JSON.stringify(outcome.error));
      return bytes > limit ? unstorableOutcome(outcome, tooLarge(bytes), now) : outcome;
    }
    return outcome;
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

  private async writeOutcomes(workerId: string, outcomes: TaskOutcome[]): Promise<void> {
    const succeeded = outcomes.filter((outcome) => outcome.kind === 'succeeded');
    // The common case, a batch of successes, is one statement: per-row values picked by id.
    for (const part of chunk(succeeded, Infinity, this.statementBytes(), (outcome) => outcome.returnValue.length * 3 + 128)) {
      const ids = part.map((outcome) => outcome.id);
      const returnValues = part.flatMap((outcome) => [outcome.id, storedReturnValue(outcome.returnValue)]);
      const attempts = part.flatMap((outcome) => [outcome.id, outcome.attempt]);
      const cases = Array(part.length).fill('WHEN ? THEN ?').join(' ');
      await query(this.pool, `
        UPDATE task_results FORCE INDEX (PRIMARY)
           SET status = IF(cancel_requested, 'CANCELLED', 'SUCCESSFUL'),
               return_value = IF(cancel_requested, NULL, CASE id ${cases} END),
               finished_at = ${NOW}, claimed_by = NULL, lease_expires_at = NULL
         WHERE id IN (?) AND status = 'RUNNING' AND claimed_by = ? AND attempt = CASE id ${cases} END`,
      [...returnValues, ids, workerId, ...attempts]);
    }
    // Rarer outcomes, one statement each. MySQL assigns left to right, each expression seeing
    // the columns already assigned: nothing below reads a column assigned before it.
    for (const outcome of outcomes) {
      const fence = [outcome.id, workerId, outcome.attempt];
      switch (outcome.kind) {
        case 'succeeded':
          break;
        case 'failed': {
          const retryAt = outcome.retryAt ? toUtcDateTime(outcome.retryAt) : null;
          await query(this.pool, `
            UPDATE task_results
               SET status = CASE WHEN cancel_requested THEN 'CANCELLED' WHEN ? IS NULL THEN 'FAILED' ELSE 'READY' END,
                   finished_at = IF(cancel_requested OR ? IS NULL, ${NOW}, NULL),
                   run_after = COALESCE(CAST(? AS DATETIME(3)), run_after),
                   errors = JSON_ARRAY_APPEND(errors, '$', JSON_EXTRACT(?, '$')),
                   claimed_by = NULL, lease_expires_at = NULL
             WHERE id = ? AND status = 'RUNNING' AND claimed_by = ? AND attempt = ?`,
          [retryAt, retryAt, retryAt, JSON.stringify(outcome.error), ...fence]);
          break;
        }
        case 'cancelled':
          await query(this.pool, `
            UPDATE task_results SET status = 'CANCELLED', finished_at = ${NOW}, claimed_by = NULL, lease_expires_at = NULL
             WHERE id = ? AND status = 'RUNNING' AND claimed_by = ? AND attempt = ?`, fence);
          break;
        case 'released':
          // The fence guarantees attempt = the outcome's attempt: started_at tests that, not the column.
          await query(this.pool, `
            UPDATE task_results
               SET status = IF(cancel_requested, 'CANCELLED', 'READY'),
                   finished_at = IF(cancel_requested, ${NOW}, NULL),
                   started_at = IF(? = 1, NULL, started_at),
                   attempt = attempt - 1,
                   worker_ids = JSON_REMOVE(worker_ids, '$[last]'),
                   claimed_by = NULL, lease_expires_at = NULL
             WHERE id = ? AND status = 'RUNNING' AND claimed_by = ? AND attempt = ?`, [outcome.attempt, ...fence]);
          break;
      }
    }
  }

  async renewLeases(workerId: string, ids: string[], leaseMs: number): Promise<LeaseRenewal> {
    // A plain read takes no locks; the update then touches exactly those rows by primary key.
    const maintenance = this.maintenancePool();
    const rows = await query<{ id: string; attempt: number; cancel_requested: number }[]>(maintenance, `
      SELECT id, attempt, cancel_requested FROM task_results WHERE id IN (?) AND status = 'RUNNING' AND claimed_by = ?`, [ids, workerId]);
    if (rows.length > 0) {
      await query(maintenance, `
        UPDATE task_results FORCE INDEX (PRIMARY) SET lease_expires_at = ${NOW_PLUS_MS}
         WHERE id IN (?) AND status = 'RUNNING' AND claimed_by = ?`,
      [leaseMs, rows.map((row) => row.id), workerId]);
    }
    return {
      held: new Set(rows.map((row) => `${row.id}:${row.attempt}`)),
      cancelRequested: rows.filter((row) => row.cancel_requested).map((row) => row.id),
    };
  }

  async rescueExpired(limit: number): Promise<string[]> {
    const expiredSql = `SELECT id FROM task_results WHERE status = 'RUNNING' AND lease_expires_at < ${NOW} LIMIT ?`;
    // Nearly always there is nothing to rescue: find that out without a transaction.
    const maintenance = this.maintenancePool();
    const candidates = await query<Row[]>(maintenance, expiredSql, [1]);
    if (candidates.length === 0) return [];
    return this.transaction(true, async (connection) => {
      const rows = await query<{ id: string }[]>(connection, `${expiredSql} FOR UPDATE SKIP LOCKED`, [limit]);
      if (rows.length === 0) return [];
      const ids = rows.map((row) => row.id);
      // errors reads claimed_by before it is cleared (assignments run left to right).
      await query(connection, `
        UPDATE task_results
           SET status = CASE WHEN cancel_requested THEN 'CANCELLED' WHEN attempt >= max_attempts THEN 'FAILED' ELSE 'READY' END,
               finished_at = IF(cancel_requested OR attempt >= max_attempts, ${NOW}, NULL),
               run_after = ${NOW},
               errors = JSON_ARRAY_APPEND(errors, '$', JSON_OBJECT(
                 'name', 'WorkerLostError',
                 'message', CONCAT('Worker ', claimed_by, ' stopped renewing its lease (it crashed, hung or lost the database); the attempt was abandoned.'),
                 'traceback', '', 'attempt', attempt,
                 'failedAt', CONCAT(REPLACE(LEFT(CAST(${NOW} AS CHAR), 23), ' ', 'T'), 'Z'))),
               claimed_by = NULL, lease_expires_at = NULL
         WHERE id IN (?)`, [ids]);
      return ids;
    }, maintenance);
  }

  async cancel(id: string): Promise<CancelOutcome> {
    // A task that moved on between the statements (claimed, retried) is tried again.
    for (let round = 0; ; round++) {
      const ready = await query<ResultSetHeader>(this.pool, `
        UPDATE task_results SET status = 'CANCELLED', finished_at = ${NOW} WHERE id = ? AND status = 'READY'`, [id]);
      if (ready.affectedRows > 0) return 'cancelled';
      const running = await query<ResultSetHeader>(this.pool, `
        UPDATE task_results SET cancel_requested = 1 WHERE id = ? AND status = 'RUNNING'`, [id]);
      if (running.affectedRows > 0) return 'requested';
      const rows = await query<{ status: TaskResultStatus }[]>(this.pool, 'SELECT status FROM task_results WHERE id = ?', [id]);
      if (rows.length === 0) return 'missing';
      if (FINISHED_STATUSES.includes(rows[0].status) || round === 2) return 'finished';
    }
  }

  async setProgress(id: string, workerId: string, attempt: number, progress: string): Promise<void> {
    await query(this.pool, `
      UPDATE task_results SET progress = ?
       WHERE id = ? AND status = 'RUNNING' AND claimed_by = ? AND attempt = ?`, [progress, id, workerId, attempt]);
  }

  async findById(id: string) {
    const rows = await query<Row[]>(this.pool, `SELECT ${ROW_COLUMNS} FROM task_results WHERE id = ?`, [id]);
    return rows.length > 0 ? mapTaskRow(rows[0]) : null;
  }

  async pruneBatch({ olderThan, statuses, queues, batchSize }: PruneRequest): Promise<number> {
    // A range delete at REPEATABLE READ would gap-lock the end of the finished range, where
    // every finishing task inserts its index entry.
    return this.transaction(true, async (connection) => {
      const result = await query<ResultSetHeader>(connection, `
        DELETE FROM task_results
         WHERE status IN (?) AND finished_at < ? ${queues ? 'AND queue_name IN (?)' : ''}
         LIMIT ?`, queues ? [statuses, toUtcDateTime(olderThan), queues, batchSize] : [statuses, toUtcDateTime(olderThan), batchSize]);
      return result.affectedRows;
    });
  }

  async checkSchema(): Promise<void> {
    const rows = await query<{ max_packet: number | string }[]>(this.pool, `
      SELECT @@max_allowed_packet AS max_packet
        FROM information_schema.tables
       WHERE table_schema = DATABASE() AND table_name = 'task_results'`);
    if (rows.length === 0) throw missingTableError();
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
  private async transaction<T>(readCommitted: boolean, work: (connection: PoolConnection) => Promise<T>, pool: Queryable = this.pool): Promise<T> {
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

function query<T = unknown>(target: Pick<Pool, 'query'>, sql: string, values: unknown[] = []): Promise<T> {
  return new Promise((resolve, reject) => {
    (target.query as (sql: string, values: unknown[], callback: (error: Error | null, result: unknown) => void) => void)(
      sql, values, (error, result) => (error ? reject(error) : resolve(result as T)));
  });
}

/** priority DESC, run_after, id: the claim order, for rows merged from several queues. */
function claimOrder(a: Row, b: Row): number {
  const byPriority = Number(b.priority) - Number(a.priority);
  if (byPriority !== 0) return byPriority;
  // UTC text of one fixed format: sorts as the times do.
  const [x, y] = [a.due_at as string, b.due_at as string];
  if (x !== y) return x < y ? -1 : 1;
  return (a.id as string) < (b.id as string) ? -1 : 1;
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
