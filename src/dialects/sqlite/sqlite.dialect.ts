import type { EntityManager } from 'typeorm';
import type { AttemptRef } from '../../core/attempt-ref';
import type { TaskRow } from '../../core/task-row';
import { isRelative, TaskTime } from '../../core/task-time';
import { claimed, isFinished, isPlainSuccess, rescued, TaskChange } from '../../core/task.transitions';
import type { TaskResultStatus } from '../../task-result-status.enum';
import { cancelTask } from '../shared/cancel.loop';
import { QueueDepthRow, toQueueDepthRows } from '../shared/queue-depth';
import { missingTableError } from '../shared/missing-table.error';
import { claimOrder, dateFormatter, mapTaskRow, toClaimedTask, toSqliteDate } from '../shared/task-row.mapper';
import type {
  CancelOutcome, ClaimedTask, ClaimRequest, LeaseRenewal, NewTaskRow, PruneRequest, SparedAttempts, TaskDialect,
} from '../task-dialect.interface';
import { notSpared } from '../shared/spared-attempts';
import type { SqliteConnection, SqliteStatementRunner } from './sqlite-connection';
import { watchCommits } from './sqlite-commit-watch';
import { SQLITE_QUEUES } from './queues.statements';
import { SQLITE_LIMITS } from './limits.statements';
import { SQLITE, SQLITE_WORKFLOW, sqliteInsertValues } from './sqlite.statements';
import { sqliteOperations } from './sqlite-operations';
import type { OperationsDialect } from '../operations-dialect.interface';
import { sqliteSchedules } from './sqlite-schedules';
import type { ScheduleDialect } from '../schedule-dialect.interface';
import type { UniquenessDialect } from '../../uniqueness/uniqueness-dialect.interface';
import { SQLITE_UNIQUE } from '../../uniqueness/sqlite.unique-statements';
import type { SqlRunner } from '../workflow-statements.interface';
import { newSettleReport, SettleReport } from '../shared/dependents.settle';
import { afterFinish, announceSettled, cancelWithDependents, managerRunner } from '../shared/workflow.store';
import { storedReturnValue } from '../../serialization/stored-return-value';

/**
 * SQLite over a connection port (better-sqlite3 today, any driver implementing
 * SqliteConnection). Every write is one immediate transaction on the dialect's own connection.
 */
/** How long a queue whose claimTop came short is claimed with the walk alone before claimTop is tried again. */
const WALK_MS = 1_000;

export class SqliteDialect implements TaskDialect {
  readonly name = 'sqlite' as const;
  readonly workerUnsupported?: string;
  readonly workflow = SQLITE_WORKFLOW;
  readonly queues = SQLITE_QUEUES;
  readonly limits = SQLITE_LIMITS;
  private readonly claimTexts = new Map<number, string>();
  /** Queues claimed with the walk through every priority (`claim`) until the time given, without trying claimTop first. */
  private readonly walking = new Map<string, number>();

  /**
   * @param options.file The database file, whose commits by other processes wake workers at once
   *   (see watchCommits); none for an in-memory database.
   */
  constructor(private readonly connection: SqliteConnection, private readonly options: { sharedConnection?: boolean; file?: string } = {}) {
    if (options.sharedConnection) {
      // Its writes would run inside whatever transaction the application has open on the one
      // connection, and be rolled back with it.
      this.workerUnsupported = 'A worker cannot run on an in-memory SQLite database (`database: \':memory:\'`): ' +
        'it exists on the application\'s one connection, where the worker\'s writes would join the application\'s ' +
        'open transactions and be rolled back with them. Use a database file.';
    }
  }

  async insert(rows: NewTaskRow[], manager?: EntityManager): Promise<void> {
    const text = dateFormatter(toSqliteDate);
    if (manager) {
      // Through the caller's query runner, so the rows commit or roll back with its transaction;
      // each statement reads the clock itself rather than add a round trip to read it first.
      for (const row of rows) await manager.query(SQLITE.insert, sqliteInsertValues(row, null, text));
      return;
    }
    // One prepared statement per row in one transaction beats a multi-row INSERT in SQLite: no
    // SQL text to build or parse per batch.
    await this.connection.immediate(async (tx) => {
      const { now } = (await tx.get<{ now: string }>(SQLITE.now))!;
      await tx.runEach(SQLITE.insert, rows.map((row) => sqliteInsertValues(row, now, text)));
    });
  }

  async claim({ workerId, queues, limit, leaseMs, except }: ClaimRequest): Promise<ClaimedTask[]> {
    const change = claimed(workerId, leaseMs);
    const lease = isRelative(change.leaseExpiresAt) ? change.leaseExpiresAt.afterNow : leaseMs;
    const rows = await this.connection.immediate(async (tx) => {
      // Paused queues are few, read in the claim's own transaction: no statement of the claim changes.
      const left = new Set([...(await tx.all<{ name: string }>(SQLITE.pausedQueues)).map((row) => row.name), ...(except ?? [])]);
      const names = (queues ?? (await queuesWithReadyRows(tx))).filter((name) => !left.has(name));
      if (names.length === 0) return [];
      const claimedBy = [change.claimedBy, lease, change.claimedBy];
      if (names.length > 1) {
        return tx.all(this.claimStatement(names.length), [...claimedBy, ...names.flatMap((name) => [name, name, name, limit]), limit]);
      }
      const [queue] = names;
      const walk = (count: number) => tx.all(this.claimStatement(1), [...claimedBy, queue, queue, queue, count, count]);
      if (this.walking.get(queue)! > Date.now()) return walk(limit);
      const top = await tx.all(SQLITE.claimTop, [...claimedBy, queue, queue, limit, queue, queue, queue, limit, limit]);
      if (top.length === limit) return top;
      // Its two highest priorities came short: a queue running dry, or more priorities than two
      // in use. The walk alone costs less than both statements, for a while.
      this.walking.set(queue, Date.now() + WALK_MS);
      return top.concat(await walk(limit - top.length));
    });
    // RETURNING does not keep the order of the rows it was given.
    return rows.sort(claimOrder).map((row) => toClaimedTask(row));
  }

  /** The claim of this many queues, its text built once. */
  private claimStatement(queues: number): string {
    let text = this.claimTexts.get(queues);
    if (!text) this.claimTexts.set(queues, (text = SQLITE.claim(queues)));
    return text;
  }

  async finish(workerId: string, changes: TaskChange[]): Promise<void> {
    if (changes.length === 0) return;
    const report = newSettleReport();
    await this.connection.immediate(async (tx) => {
      for (let start = 0; start < changes.length;) {
        if (!completesPlainly(changes[start])) {
          await this.apply(tx, workerId, changes[start++], report);
          continue;
        }
        // The common change, a success of a task nothing depends on, takes the statement with
        // only the columns it sets, for a run of them in one call.
        let end = start + 1;
        while (end < changes.length && completesPlainly(changes[end])) end++;
        const successes = changes.slice(start, end);
        const completed = await tx.runEach(SQLITE.complete, successes.map((change) =>
          [storedReturnValue(change.returnValue!), change.ref.id, workerId, change.ref.attempt]));
        // Not completed: a task with dependents, or a row no longer this attempt's (the fence says which).
        for (let index = 0; index < successes.length; index++) {
          if (completed[index] === 0) await this.apply(tx, workerId, successes[index], report);
        }
        start = end;
      }
    });
    announceSettled(this, report);
  }

  /** One change, fenced; a task that has dependents settles them in the same transaction. */
  private async apply(tx: SqliteStatementRunner, workerId: string, change: TaskChange, report: SettleReport): Promise<void> {
    const [row] = await tx.all<{ status: string; has_dependents: number }>(SQLITE.finish, finishValues(workerId, change));
    if (row?.has_dependents) await afterFinish(runnerOf(tx), this, change.ref.id, report, row);
  }

  async renew(workerId: string, ids: string[], leaseMs: number): Promise<LeaseRenewal> {
    const rows = await this.connection.immediate((tx) =>
      tx.all<{ id: string; attempt: number; cancel_requested: number }>(SQLITE.renew, [leaseMs, workerId, JSON.stringify(ids)]));
    return {
      held: rows.map((row) => ({ id: row.id, attempt: row.attempt })),
      cancelRequested: rows.filter((row) => row.cancel_requested).map((row) => row.id),
    };
  }

  async rescue(limit: number, spared?: () => SparedAttempts): Promise<string[]> {
    // Nearly always there is nothing to rescue: find that out without taking the write lock.
    if (notSpared(await this.connection.all<{ id: string; claimed_by: string }>(SQLITE.expired, [limit]), spared).length === 0) return [];
    const report = newSettleReport();
    const ids = await this.connection.immediate(async (tx) => {
      const rows = notSpared(await tx.all<{ id: string; attempt: number; max_attempts: number; claimed_by: string; now: string }>(SQLITE.expired, [limit]), spared);
      for (const row of rows) {
        const change = rescued({ id: row.id, attempt: row.attempt, maxAttempts: row.max_attempts, claimedBy: row.claimed_by },
          new Date(`${row.now.replace(' ', 'T')}Z`));
        await this.apply(tx, row.claimed_by, change, report);
      }
      return rows.map((row) => row.id);
    });
    announceSettled(this, report);
    return ids;
  }

  cancel(id: string): Promise<CancelOutcome> {
    return cancelTask(id, {
      cancelReady: async (taskId) => (await this.connection.run(SQLITE.cancelReady, [taskId])).changes > 0,
      cancelRunning: async (taskId) => (await this.connection.run(SQLITE.cancelRunning, [taskId])).changes > 0,
      status: async (taskId) => (await this.connection.get<{ status: TaskResultStatus }>(SQLITE.status, [taskId]))?.status ?? null,
      cancelWithDependents: (taskId) => cancelWithDependents(this, taskId),
    });
  }

  read<R>(sql: string, params: unknown[]): Promise<R[]> {
    return this.connection.all(sql, params) as Promise<R[]>;
  }

  transaction<T>(work: (run: SqlRunner) => Promise<T>, manager?: EntityManager): Promise<T> {
    if (manager) return work(managerRunner(manager));
    return this.connection.immediate((tx) => work(runnerOf(tx)));
  }

  async progress(workerId: string, ref: AttemptRef, progress: string): Promise<void> {
    await this.connection.run(SQLITE.progress, [progress, ref.id, workerId, ref.attempt]);
  }

  async find(id: string): Promise<Partial<TaskRow> | null> {
    const row = await this.connection.get(SQLITE.find, [id]);
    return row ? mapTaskRow(row) : null;
  }

  async prune({ olderThan, statuses, queues, batchSize }: PruneRequest): Promise<number> {
    const sql = SQLITE.prune(statuses.length, queues?.length ?? null);
    const params = [...statuses, ...timeParams(olderThan), ...(queues ?? []), batchSize];
    return this.connection.immediate(async (tx) => {
      const ids = (await tx.all<{ id: string }>(sql, params)).map((row) => row.id);
      if (ids.length > 0) await tx.run(SQLITE.pruneEdges, [JSON.stringify(ids)]);
      return ids.length;
    });
  }

  async queueDepth(): Promise<QueueDepthRow[]> {
    return toQueueDepthRows(await this.connection.all(SQLITE.queueDepth));
  }

  async now(): Promise<Date> {
    const row = await this.connection.get<{ now: string }>(SQLITE.now);
    return new Date(`${row!.now.replace(' ', 'T')}Z`);
  }

  schedules(): ScheduleDialect {
    return sqliteSchedules(this.connection);
  }

  operations(): OperationsDialect {
    return sqliteOperations(this.connection);
  }

  uniqueness(): UniquenessDialect {
    return { statements: SQLITE_UNIQUE, transaction: (work, manager) => this.transaction(work, manager) };
  }

  async checkSchema(): Promise<void> {
    if (!(await this.connection.get(SQLITE.schema))) throw missingTableError();
  }

  async listen(onEnqueued: (queue: string | null) => void, onFinished?: (id: string | null) => void): Promise<() => Promise<void>> {
    const stop = this.options.file ? watchCommits(this.options.file, () => {
      onEnqueued(null);
      onFinished?.(null);
    }) : null;
    return async () => stop?.();
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}

/** Queues that have READY rows, for a claim of every queue: a skip scan of the claim index. */
async function queuesWithReadyRows(tx: SqliteStatementRunner): Promise<string[]> {
  const names: string[] = [];
  for (let after = ''; ;) {
    const row = await tx.get<{ name: string | null }>(SQLITE.nextQueue, [after]);
    if (row?.name === null || row?.name === undefined) return names;
    names.push((after = row.name));
  }
}

/** A success of a task not known to have dependents: the complete statement's (one known to goes straight to the finish and its settling). */
function completesPlainly(change: TaskChange): boolean {
  return !change.hasDependents && isPlainSuccess(change);
}

/** `[text, null]` for an absolute time, `[null, ms]` for one relative to the database's now. */
function timeParams(time: TaskTime): [string | null, number | null] {
  return isRelative(time) ? [null, time.afterNow] : [toSqliteDate(time.at), null];
}

function finishValues(workerId: string, change: TaskChange): unknown[] {
  const [at, delay] = change.runAfter ? timeParams(change.runAfter) : [null, null];
  const error = change.error ? JSON.stringify(change.error) : null;
  const uncharge = change.uncharge ? 1 : 0;
  const returnValue = change.returnValue === null ? null : storedReturnValue(change.returnValue);
  return [change.status, isFinished(change.status) ? 1 : 0, returnValue, at, at, delay, delay, error, error, uncharge, uncharge, uncharge,
    change.ref.id, workerId, change.ref.attempt];
}

/** Reads through `all`, writes through `run` (better-sqlite3 refuses `all` for a statement that returns nothing). */
function runnerOf(tx: SqliteStatementRunner): SqlRunner {
  return {
    query: async <R>(sql: string, params: unknown[]) => {
      if (/^\s*SELECT\b/i.test(sql) || /\bRETURNING\b/i.test(sql)) return tx.all<R>(sql, params);
      await tx.run(sql, params);
      return [];
    },
  };
}
