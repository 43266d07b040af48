import type { EntityManager } from 'typeorm';
import type { AttemptRef } from '../core/attempt-ref';
import type { TaskRow } from '../core/task-row';
import type { TaskTime } from '../core/task-time';
import type { TaskChange } from '../core/task.transitions';
import type { TaskResultStatus } from '../task-result-status.enum';
import type { QueueStatements } from './queue-statements.interface';
import type { LimitStatements } from './limit-statements.interface';
import type { ScheduleDialect } from './schedule-dialect.interface';
import type { OperationsDialect } from './operations-dialect.interface';
import type { QueueDepthRow } from './shared/queue-depth';
import type { UniquenessDialect } from '../uniqueness/uniqueness-dialect.interface';
import type { SqlRunner, WorkflowStatements } from './workflow-statements.interface';

/** A row to insert; JSON columns arrive already stringified (one stringify per task). */
export interface NewTaskRow {
  id: string;
  taskName: string;
  queueName: string;
  priority: number;
  args: string;
  kwargs: string;
  backend: string;
  /** `{ at }` for `runAfter`, `{ afterNow }` for `delay` (and 0 when neither is given): the database's clock. */
  runAfter: TaskTime;
  /** The enqueuing process's time, for the returned TaskResult only: the row gets the database's now. */
  enqueuedAt: Date;
  maxAttempts: number;
  /** The tick of a periodic task's run, written with the row by the scheduler (not by `insert`). */
  scheduledAt?: Date;
  /** `args` and `kwargs` as given, for the returned TaskResult (no parse of what was just stringified). */
  values: { args: unknown[]; kwargs: Record<string, unknown> };
  /** Workflows only (see src/workflows): stored WAITING until its dependencies let it run. */
  waiting?: boolean;
  groupId?: string | null;
  groupPosition?: number | null;
  /** JSON text of the `metadata` object. */
  metadataJson?: string | null;
  metadata?: Record<string, unknown> | null;
  /** The enqueuer's W3C `traceparent`, continued by every attempt (src/telemetry); null without a recording span. */
  traceContext?: string | null;
  /** The enqueue option `key` (src/uniqueness): stored by the keyed statements only. */
  uniqueKey?: string | null;
}

/** What a worker needs to run a claimed task: no entity hydration on the hot path. */
export interface ClaimedTask extends AttemptRef {
  taskName: string;
  queueName: string;
  priority: number;
  /** Parsed by the driver (jsonb, JSON) or a JSON string (SQLite, MariaDB); decoded once by the executor. */
  args: unknown;
  kwargs: unknown;
  maxAttempts: number;
  /** The tick of a periodic task's run (Date or the database's text), else null. */
  scheduledAt?: unknown;
  /** When this attempt became due, by the database's clock (Date or the database's text). */
  runAfter?: unknown;
  /** The enqueuer's W3C `traceparent`, if it had a recording span. */
  traceContext?: string | null;
  /** When this claim took it, by the database's clock (Date or the database's text). */
  claimedAt?: unknown;
  /** Tasks of a workflow wait for it (see TaskChange.hasDependents). */
  hasDependents?: boolean;
}

export interface ClaimRequest {
  workerId: string;
  /** null: every queue. */
  queues: readonly string[] | null;
  limit: number;
  leaseMs: number;
  /** With `queues` null: queues left out of "every queue" (those this worker claims under limits, see src/limits). */
  except?: readonly string[];
}

export interface LeaseRenewal {
  /** Held rows whose cancellation was requested. */
  cancelRequested: string[];
  /** The given rows still RUNNING under this worker; an attempt missing here lost its lease. */
  held: AttemptRef[];
}

/**
 * Rows a worker's own reaper leaves to its renewer: expired only because its event loop stalled
 * past the lease, they are in the hands of a live process (other workers may still rescue them).
 */
export interface SparedAttempts {
  workerId: string;
  ids: ReadonlySet<string>;
  /** A claim of this worker is in flight: its rows, not yet known by id, are spared too (all of the worker's). */
  claiming: boolean;
}

export type CancelOutcome = 'cancelled' | 'requested' | 'finished' | 'missing';

export interface PruneRequest {
  /** `{ at }` for a Date, `{ afterNow: -ms }` for "older than ms", measured by the database's clock. */
  olderThan: TaskTime;
  statuses: readonly TaskResultStatus[];
  queues: readonly string[] | null;
  /** A positive integer (checked by TaskService). */
  batchSize: number;
}

/**
 * The named statements of the task lifecycle for one database, the same names in every dialect
 * (`src/dialects/<db>/`). Dialects only apply what `src/core/` decided: every write by a worker
 * is fenced on status, owner and attempt, and every relative time is measured by the database.
 */
export interface TaskDialect {
  readonly name: 'sqlite' | 'postgres' | 'mysql';
  /** Set when a worker cannot run on this database: why (an in-memory SQLite database). */
  readonly workerUnsupported?: string;
  /** `insert`: in one statement or transaction; with `manager`, inside the caller's transaction. */
  insert(rows: NewTaskRow[], manager?: EntityManager): Promise<void>;
  /** `claim`: atomically moves up to `limit` due READY tasks to RUNNING under a lease. */
  claim(request: ClaimRequest): Promise<ClaimedTask[]>;
  /**
   * `finish`: applies decided changes (fenced); changes for rows this worker no longer holds are
   * dropped. A value the database refuses is recorded as a failed attempt; it throws only when
   * the database cannot take the batch (connection lost), and may then be called again with it.
   */
  finish(workerId: string, changes: TaskChange[]): Promise<void>;
  /** `renew`: extends the leases of these rows, where they are still RUNNING under this worker. */
  renew(workerId: string, ids: string[], leaseMs: number): Promise<LeaseRenewal>;
  /**
   * `rescue`: applies `rescued()` to up to `limit` RUNNING rows whose lease has expired, but those
   * `spared` (the calling worker's own, still in its hands: asked after the expired rows are read,
   * so a claim answered meanwhile counts); returns their ids.
   */
  rescue(limit: number, spared?: () => SparedAttempts): Promise<string[]>;
  /** `cancel`: READY → CANCELLED, RUNNING → cancellation requested. */
  cancel(id: string): Promise<CancelOutcome>;
  /** `progress`: fenced like `finish`. */
  progress(workerId: string, ref: AttemptRef, progress: string): Promise<void>;
  /** `find`: every column, as entity properties. */
  find(id: string): Promise<Partial<TaskRow> | null>;
  /** `prune`: deletes one batch of finished rows; returns how many. */
  prune(request: PruneRequest): Promise<number>;
  /** `queueDepth`: the tasks not finished, counted per queue and status. */
  queueDepth(): Promise<QueueDepthRow[]>;
  /** `now`: the database's clock, the only one tasks are timed by. */
  now(): Promise<Date>;
  /** The statements of periodic tasks (table task_schedules), on this dialect's connections. */
  schedules(): ScheduleDialect;
  /** The statements of the operating tools (retry, bulk actions, the worker registry), on this dialect's connections. */
  operations(): OperationsDialect;
  /** The statements of unique tasks (`key`, `debounce`, `throttle`: src/uniqueness), on this dialect's connections. */
  uniqueness(): UniquenessDialect;
  /** Makes sure the table exists, with a clear error if the migrations have not run. */
  checkSchema(): Promise<void>;
  /**
   * Subscribes to other processes' news, where the database can push it (optional): a task of
   * `queue` may have become due, task `id` reached a final status (null for either: some queue,
   * some tasks, unknown which). Resolves with an unsubscribe.
   */
  listen?(onEnqueued: (queue: string | null) => void, onFinished?: (id: string | null) => void): Promise<() => Promise<void>>;
  /**
   * A wait for tasks to finish starts in this process (optional): where finishes reach other
   * processes by notification, the dialect asks for them only while someone waits, so that a
   * finish costs nothing more when none does. Returns the wait's end.
   */
  waitingForFinishes?(): () => void;
  /**
   * Tells workers of other processes, where the database can push it (optional), that tasks of
   * `queues` were stored and committed by a statement other than `insert` (a workflow's).
   */
  announce?(queues: readonly string[]): void;
  close(): Promise<void>;
  /** Told the queue of each dependent a finish or cancellation released (set by the backend, to wake its workers). */
  released?: (queue: string) => void;
  /** Told the ids of tasks cancelled because a dependency failed or was cancelled (set by the backend, for events). */
  cascaded?: (ids: string[]) => void;
  /** The statements of paused queues (src/queues), run through `transaction`. */
  readonly queues: QueueStatements;
  /** The statements of limited claims (src/limits), run through `transaction`. */
  readonly limits: LimitStatements;
  /** The workflow statements of this database (src/workflows). */
  readonly workflow: WorkflowStatements;
  /** Runs one reading statement outside any transaction (on SQLite, without taking the write lock). */
  read<R = Record<string, unknown>>(sql: string, params: unknown[]): Promise<R[]>;
  /** Runs `work` in one transaction: the dialect's own, or the caller's with `manager`. */
  transaction<T>(work: (run: SqlRunner) => Promise<T>, manager?: EntityManager): Promise<T>;
}

/** A task of a workflow to store: its row and what it waits for. */
export interface NewWorkflowTask {
  row: NewTaskRow;
  /** Ids of stored tasks, or `{ index }` of a task earlier in the same workflow. */
  dependsOn: (string | { index: number })[];
  onDependencyFailure: 'cancel' | 'run';
  /** 0: none; 1: receives its dependency's value as `args[0]`; 2: every dependency's, as an array (see Pipe). */
  pipe: number;
  /** The delay counted from its release; null: keep `runAfter`. */
  releaseDelayMs: number | null;
}
