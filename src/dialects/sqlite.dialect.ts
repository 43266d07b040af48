import type { Database, Statement } from 'better-sqlite3';
import type { DataSource, EntityManager } from 'typeorm';
import { TasksError } from '../task.errors';
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
import { dateFormatter, mapTaskRow, toSqliteDate } from './task-row.mapper';
import { storedReturnValue } from '../serialization/stored-return-value';

/** How long a write waits for the database to be free before it fails with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 10_000;
/**
 * SQLite's own busy handler sleeps synchronously, stalling the event loop; a worker in the same
 * process as an application transaction would then block the very commit it waits for. So the
 * dialect's connection waits only briefly inside SQLite and retries asynchronously after that.
 */
const SYNC_BUSY_WAIT_MS = 20;
const INSERT_COLUMNS =
  'id, task_name, status, queue_name, priority, args, kwargs, backend, run_after, enqueued_at, max_attempts, attempt, errors, worker_ids, cancel_requested';
const INSERT_VALUES = "(?, ?, 'READY', ?, ?, ?, ?, ?, ?, ?, ?, 0, '[]', '[]', 0)";

/**
 * SQLite through better-sqlite3. The dialect opens its own connection to the application's
 * file, so its immediate transactions never interleave with the application's TypeORM
 * transactions on the shared connection. Writes take the write lock up front (`BEGIN
 * IMMEDIATE`) so a busy database waits in SQLite's busy handler instead of failing with
 * SQLITE_BUSY halfway through a transaction.
 */
export class SqliteDialect implements TaskDialect {
  readonly name = 'sqlite' as const;
  private readonly db: Database;
  private readonly ownsConnection: boolean;
  private readonly statements = new Map<string, Statement>();

  constructor(dataSource: DataSource) {
    const driver = dataSource.driver as unknown as { databaseConnection: Database; sqlite: new (file: string, options?: object) => Database };
    const file = String((dataSource.options as { database?: string }).database ?? ':memory:');
    if (file === ':memory:' || file === '') {
      // An in-memory database exists only on the application's own connection.
      this.db = driver.databaseConnection;
      this.ownsConnection = false;
    } else {
      this.db = new driver.sqlite(file);
      this.ownsConnection = true;
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
    }
    this.db.pragma(`busy_timeout = ${this.ownsConnection ? SYNC_BUSY_WAIT_MS : BUSY_TIMEOUT_MS}`);
    if (this.ownsConnection) {
      // The application's connection writes the same file (enqueue inside its transactions).
      driver.databaseConnection.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
  }

  private statement(key: string, sql: () => string): Statement {
    let statement = this.statements.get(key);
    if (!statement) this.statements.set(key, (statement = this.db.prepare(sql())));
    return statement;
  }

  private async immediate<T>(work: () => T): Promise<T> {
    const deadline = Date.now() + BUSY_TIMEOUT_MS;
    for (let retry = 1; ; retry++) {
      try {
        return this.db.transaction(work).immediate();
      } catch (error) {
        if ((error as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(50, retry * 2)));
      }
    }
  }

  async insert(rows: NewTaskRow[], manager?: EntityManager): Promise<void> {
    const sql = () => `INSERT INTO task_results (${INSERT_COLUMNS}) VALUES ${INSERT_VALUES}`;
    const text = dateFormatter(toSqliteDate);
    const params = (row: NewTaskRow) => [row.id, row.taskName, row.queueName, row.priority, row.args, row.kwargs,
      row.backend, text(row.runAfter), text(row.enqueuedAt), row.maxAttempts];
    if (manager) {
      // Through the caller's query runner, so the rows commit or roll back with its transaction.
      for (const row of rows) await manager.query(sql(), params(row));
      return;
    }
    // One prepared statement in one transaction beats a multi-row INSERT in SQLite: no SQL text to
    // build or parse per batch.
    const insert = this.statement('insert', sql);
    await this.immediate(() => rows.forEach((row) => insert.run(params(row))));
  }

  async claim({ workerId, queues, limit, leaseMs }: ClaimRequest): Promise<ClaimedTask[]> {
    const queueFilter = queues ? `AND queue_name IN (${queues.map(() => '?').join(', ')})` : '';
    const statement = this.statement(`claim:${queues?.length ?? '*'}`, () => `
      UPDATE task_results
         SET status = 'RUNNING', attempt = attempt + 1, claimed_by = ?, lease_expires_at = ?,
             started_at = COALESCE(started_at, ?), last_attempted_at = ?,
             worker_ids = json_insert(worker_ids, '$[#]', ?)
       WHERE id IN (SELECT id FROM task_results
                     WHERE status = 'READY' ${queueFilter} AND run_after <= ?
                     ORDER BY priority DESC, run_after, id
                     LIMIT ?)
      RETURNING id, task_name, queue_name, priority, args, kwargs, attempt, max_attempts, run_after`);
    const now = Date.now();
    const nowText = toSqliteDate(now);
    const rows = await this.immediate(() =>
      statement.all(workerId, toSqliteDate(now + leaseMs), nowText, nowText, workerId, ...(queues ?? []), nowText, limit),
    ) as Record<string, unknown>[];
    // RETURNING does not keep the subquery's order.
    rows.sort((a, b) => (b.priority as number) - (a.priority as number)
      || (a.run_after as string).localeCompare(b.run_after as string) || (a.id as string).localeCompare(b.id as string));
    return rows.map((row) => ({
      id: row.id as string,
      taskName: row.task_name as string,
      queueName: row.queue_name as string,
      priority: row.priority as number,
      args: row.args,
      kwargs: row.kwargs,
      attempt: row.attempt as number,
      maxAttempts: row.max_attempts as number,
    }));
  }

  async finish(workerId: string, outcomes: TaskOutcome[]): Promise<void> {
    const nowText = toSqliteDate(Date.now());
    const fence = "WHERE id = ? AND status = 'RUNNING' AND claimed_by = ? AND attempt = ?";
    const succeeded = this.statement('succeeded', () => `
      UPDATE task_results
         SET status = CASE WHEN cancel_requested THEN 'CANCELLED' ELSE 'SUCCESSFUL' END,
             return_value = CASE WHEN cancel_requested THEN NULL ELSE ? END,
             finished_at = ?, claimed_by = NULL, lease_expires_at = NULL
       ${fence}`);
    const failed = this.statement('failed', () => `
      UPDATE task_results
         SET status = CASE WHEN cancel_requested THEN 'CANCELLED' WHEN @retryAt IS NULL THEN 'FAILED' ELSE 'READY' END,
             finished_at = CASE WHEN cancel_requested OR @retryAt IS NULL THEN @now ELSE NULL END,
             run_after = COALESCE(@retryAt, run_after),
             errors = json_insert(errors, '$[#]', json(@error)),
             claimed_by = NULL, lease_expires_at = NULL
       WHERE id = @id AND status = 'RUNNING' AND claimed_by = @workerId AND attempt = @attempt`);
    const cancelled = this.statement('cancelled', () => `
      UPDATE task_results
         SET status = 'CANCELLED', finished_at = ?, claimed_by = NULL, lease_expires_at = NULL
       ${fence}`);
    const released = this.statement('released', () => `
      UPDATE task_results
         SET status = CASE WHEN cancel_requested THEN 'CANCELLED' ELSE 'READY' END,
             finished_at = CASE WHEN cancel_requested THEN ? ELSE NULL END,
             attempt = attempt - 1, worker_ids = json_remove(worker_ids, '$[#-1]'),
             started_at = CASE WHEN attempt = 1 THEN NULL ELSE started_at END,
             claimed_by = NULL, lease_expires_at = NULL
       ${fence}`);
    await this.immediate(() => {
      for (const outcome of outcomes) {
        const key = [outcome.id, workerId, outcome.attempt];
        switch (outcome.kind) {
          case 'succeeded':
            succeeded.run(storedReturnValue(outcome.returnValue), nowText, ...key);
            break;
          case 'failed':
            failed.run({
              retryAt: outcome.retryAt ? toSqliteDate(outcome.retryAt) : null, now: nowText,
              error: JSON.stringify(outcome.error), id: outcome.id, workerId, attempt: outcome.attempt,
            });
            break;
          case 'cancelled':
            cancelled.run(nowText, ...key);
            break;
          case 'released':
            released.run(nowText, ...key);
            break;
        }
      }
    });
  }

  async renewLeases(workerId: string, ids: string[], leaseMs: number): Promise<LeaseRenewal> {
    const statement = this.statement('renew', () => `
      UPDATE task_results SET lease_expires_at = ?
       WHERE status = 'RUNNING' AND claimed_by = ? AND id IN (SELECT value FROM json_each(?))
      RETURNING id, attempt, cancel_requested`);
    const rows = await this.immediate(() => statement.all(toSqliteDate(Date.now() + leaseMs), workerId, JSON.stringify(ids))) as {
      id: string; attempt: number; cancel_requested: number;
    }[];
    return {
      held: new Set(rows.map((row) => `${row.id}:${row.attempt}`)),
      cancelRequested: rows.filter((row) => row.cancel_requested).map((row) => row.id),
    };
  }

  async rescueExpired(limit: number): Promise<string[]> {
    const statement = this.statement('rescue', () => `
      UPDATE task_results
         SET status = CASE WHEN cancel_requested THEN 'CANCELLED' WHEN attempt >= max_attempts THEN 'FAILED' ELSE 'READY' END,
             finished_at = CASE WHEN cancel_requested OR attempt >= max_attempts THEN @now ELSE NULL END,
             run_after = @now,
             errors = json_insert(errors, '$[#]', json_object(
               'name', 'WorkerLostError',
               'message', 'Worker ' || claimed_by || ' stopped renewing its lease (it crashed, hung or lost the database); the attempt was abandoned.',
               'traceback', '', 'attempt', attempt, 'failedAt', @nowIso)),
             claimed_by = NULL, lease_expires_at = NULL
       WHERE id IN (SELECT id FROM task_results WHERE status = 'RUNNING' AND lease_expires_at < @now LIMIT @limit)
      RETURNING id`);
    const now = new Date();
    const rows = await this.immediate(() => statement.all({ now: toSqliteDate(now), nowIso: now.toISOString(), limit })) as { id: string }[];
    return rows.map((row) => row.id);
  }

  async cancel(id: string): Promise<CancelOutcome> {
    const ready = this.statement('cancel:ready', () => `
      UPDATE task_results SET status = 'CANCELLED', finished_at = ? WHERE id = ? AND status = 'READY'`);
    const running = this.statement('cancel:running', () => `
      UPDATE task_results SET cancel_requested = 1 WHERE id = ? AND status = 'RUNNING'`);
    const exists = this.statement('exists', () => 'SELECT 1 FROM task_results WHERE id = ?');
    return this.immediate(() => {
      if (ready.run(toSqliteDate(Date.now()), id).changes > 0) return 'cancelled';
      if (running.run(id).changes > 0) return 'requested';
      return exists.get(id) ? 'finished' : 'missing';
    });
  }

  async setProgress(id: string, workerId: string, attempt: number, progress: string): Promise<void> {
    const statement = this.statement('progress', () => `
      UPDATE task_results SET progress = ?
       WHERE id = ? AND status = 'RUNNING' AND claimed_by = ? AND attempt = ?`);
    await this.immediate(() => statement.run(progress, id, workerId, attempt));
  }

  async findById(id: string) {
    const row = this.statement('find', () => 'SELECT * FROM task_results WHERE id = ?').get(id) as Record<string, unknown> | undefined;
    return row ? mapTaskRow(row) : null;
  }

  async pruneBatch({ olderThan, statuses, queues, batchSize }: PruneRequest): Promise<number> {
    const sql = `
      DELETE FROM task_results WHERE id IN (
        SELECT id FROM task_results
         WHERE status IN (${statuses.map(() => '?').join(', ')}) AND finished_at < ?
           ${queues ? `AND queue_name IN (${queues.map(() => '?').join(', ')})` : ''}
         LIMIT ?)`;
    const params = [...statuses, toSqliteDate(olderThan), ...(queues ?? []), batchSize];
    return this.immediate(() => this.db.prepare(sql).run(params).changes);
  }

  async checkSchema(): Promise<void> {
    const table = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'task_results'").get();
    if (!table) throw missingTableError();
  }

  async close(): Promise<void> {
    this.statements.clear();
    if (this.ownsConnection && this.db.open) this.db.close();
  }
}

export function missingTableError(): TasksError {
  return new TasksError(
    'The table task_results does not exist. Add TASKS_MIGRATIONS to your DataSource migrations and run them ' +
      '(migrationsRun: true, or `typeorm migration:run`).',
  );
}
