import type { EntityManager } from 'typeorm';
import type { NewTaskRow } from '../dialects/task-dialect.interface';
import type { SqlRunner } from '../dialects/workflow-statements.interface';

/** A row to enqueue under its `uniqueKey`, and what to do with a pending task holding that key. */
export interface KeyedTask {
  row: NewTaskRow & { uniqueKey: string };
  replace: boolean;
  /** Debounce `maxWait`: see UniqueEnqueue. */
  maxWaitMs: number | null;
}

/**
 * The named statements of unique tasks for one database, the same names in every dialect. The
 * plain enqueue never reaches them: an enqueue with a key is a statement of its own.
 */
export interface UniqueStatements {
  /**
   * `upsert` (params: upsertParams): inserts the row READY under its key, or, when a pending task
   * holds the key, locks it and, with `replace`, gives it the row's args, kwargs, metadata,
   * priority and run time. Where the database can return that row in the same statement it does
   * (PostgreSQL, as a WITH, which every runner hands back), or its id (SQLite, with RETURNING,
   * which a caller's EntityManager does not hand back); `pendingLocked` reads what is missing.
   */
  upsert: string;
  upsertParams(task: KeyedTask): unknown[];
  /** The parameters naming one key in task_throttles: task name, key (as the key column takes it). */
  keyParams(taskName: string, key: string): unknown[];
  /** The parameters naming one key among pending tasks (as the index takes it). */
  pendingParams(taskName: string, key: string): unknown[];
  /** pendingParams: every column of the pending task holding the key. */
  pending: string;
  /** pendingParams: the same, as a locking read where plain reads may see an older snapshot (MySQL). */
  pendingLocked: string;
  /** id: every column of a task. */
  byId: string;
  /** keyParams, task id, window ms: records the enqueue as accepted unless the key's window is still open. */
  throttleAcquire: string;
  /** keyParams: the task id of the last accepted enqueue. */
  throttleHolder: string;
  /** task id, keyParams: the accepted enqueue resolved to this (pending) task. */
  throttleRecord: string;
  /** No params: deletes the windows that have closed (a closed window refuses nothing; pruning keeps the table small). */
  closedWindows: string;
}

/** Unique tasks on one database: its statements and its connections. */
export interface UniquenessDialect {
  readonly statements: UniqueStatements;
  /** One transaction, the dialect's own (retried where the database may pick it as a deadlock victim) or the caller's. */
  transaction<T>(work: (run: SqlRunner) => Promise<T>, manager?: EntityManager): Promise<T>;
  /**
   * Where the database can: `task` enqueued on its own, outside any caller's transaction, in
   * fewer round trips than `transaction` takes (one when its key is free, where it can). The
   * row of the pending task it resolved to, `{ id }` of its own row when inserted, or null when
   * it could not settle it alone, having changed nothing (the caller then takes `transaction`).
   */
  single?(task: KeyedTask): Promise<Record<string, unknown> | null>;
}
