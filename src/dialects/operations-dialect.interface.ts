/**
 * Statements of the operating tools (retry, bulk actions, the worker registry) for one database,
 * the same names in every dialect (`src/dialects/<db>/operations.statements.ts`). None of them
 * is on the enqueue → claim → finish path. Parameters are positional, in the order of each
 * comment; Dates are bound as given (each dialect formats them for its driver).
 */
export interface OperationStatements {
  /** id: status, attempt, queue_name, pipe, task_name, unique_key, last_attempted_at of a task, locked until the transaction ends. */
  lockTask: string;
  /** task name, key: the pending task that holds the key (src/uniqueness), if any. */
  keyHolder: string;
  /**
   * id: FAILED or CANCELLED → READY on the same row, due now: attempts and errors kept,
   * max_attempts raised to one more than the attempts made.
   */
  retry: string;
  /**
   * id: a READY task scheduled for later becomes due now (run_after = the database's now);
   * nothing else changes. Changes nothing for a task already due or of another status.
   */
  runNow: string;
  /** id: its CANCELLED dependents (id, errors), locked. */
  cancelledDependents: string;
  /** task id: how many of its dependencies ended FAILED or CANCELLED (failed), and how many are unfinished (pending). */
  dependencyCounts: string;
  /** pending, id: CANCELLED → WAITING for `pending` dependencies. */
  reopen: string;
  /**
   * A batch of the bulk retry (FAILED/CANCELLED tasks matching the filter → READY, as `retry`),
   * at most `limit` rows; tasks cancelled while they still waited for dependencies are left out
   * (a `pipe()` step among them has not received its value). Parameters: those of `filter`, then limit.
   */
  retryMany(filter: FilterShape): string;
  /**
   * A batch of the bulk run now (READY tasks matching the filter and scheduled for later → due
   * now, as `runNow`), at most `limit` rows; as retryMany, RETURNING queue_name where `returnsRows`.
   * Parameters: filter's, limit.
   */
  runNowMany(filter: FilterShape): string;
  /** READY and WAITING tasks that have no dependents matching the filter → CANCELLED. Parameters: filter's, limit. */
  cancelMany(filter: FilterShape): string;
  /** RUNNING tasks matching the filter: their cancellation requested. Parameters: filter's, limit. */
  requestCancelMany(filter: FilterShape): string;
  /** ids of READY and WAITING tasks that have dependents matching the filter (cancelled one by one, with them). Parameters: filter's, limit. */
  cascadingIds(filter: FilterShape): string;
  /** A batch of finished tasks matching the filter to delete: their ids, locked. Parameters: filter's, limit. */
  deletableIds(filter: FilterShape): string;
  /** ids (an array): the edges from these tasks to their dependencies. */
  deleteEdges: string;
  /** ids (an array): deletes these tasks. */
  deleteByIds: string;
  /** Counts the tasks matching the filter. Parameters: filter's. */
  count(filter: FilterShape): string;
  /**
   * Tasks matching the filter (every column), newest first. Parameters: filter's, then with
   * `afterCursor` the id of the last task of the previous page (the next are older), then limit.
   */
  list(filter: FilterShape, afterCursor: boolean): string;
  /** Counts per queue and status: queue_name, status, count. */
  queueCounts: string;
  /** True when retryMany and runNowMany return its rows' queue_name (RETURNING) rather than a count. */
  readonly returnsRows: boolean;
}

/** Which parts of a TaskFilter a statement is built for; the values are bound in this order. */
export interface FilterShape {
  /** Number of statuses (literal statuses are checked against the enum and inlined). */
  statuses: readonly string[];
  queueName: boolean;
  taskName: boolean;
  finishedBefore: boolean;
}

/** The statements of the worker registry (table task_workers). */
export interface WorkerStatements {
  /** id, host, pid, queues (JSON text or null), concurrency, expires in ms: inserts or replaces the worker's row. */
  register: string;
  /** running, expires in ms, id: the heartbeat; changes nothing if the row is gone (then register again). */
  heartbeat: string;
  /** id. */
  remove: string;
  /** Deletes the rows of workers whose heartbeat expired. */
  expire: string;
  /** Live workers, by id: every column, dates as Date or UTC text. */
  list: string;
}

export type OperationsRow = Record<string, unknown>;

export interface OperationsRunner {
  all(sql: string, params?: readonly unknown[]): Promise<OperationsRow[]>;
  /** Returns how many rows the statement changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
}

/** What the operating tools need of a database: their statements and a transaction. */
export interface OperationsDialect extends OperationsRunner {
  readonly statements: OperationStatements;
  readonly workers: WorkerStatements;
  /** Heartbeats and expiry, on the connections of the worker's own maintenance where the dialect has them. */
  readonly maintenance: OperationsRunner;
  transaction<T>(work: (tx: OperationsRunner) => Promise<T>): Promise<T>;
}
