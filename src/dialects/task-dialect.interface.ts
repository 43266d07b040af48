import type { EntityManager } from 'typeorm';
import type { TaskResult } from '../entities/task-result.entity';
import type { TaskError } from '../interfaces/task-error.interface';
import type { TaskResultStatus } from '../task-result-status.enum';

/** A row to insert; JSON columns arrive already stringified (one stringify per task). */
export interface NewTaskRow {
  id: string;
  taskName: string;
  queueName: string;
  priority: number;
  args: string;
  kwargs: string;
  backend: string;
  runAfter: Date;
  enqueuedAt: Date;
  maxAttempts: number;
  /** `args` and `kwargs` as given, for the returned TaskResult (no parse of what was just stringified). */
  values: { args: unknown[]; kwargs: Record<string, unknown> };
}

/** What a worker needs to run a claimed task: no entity hydration on the hot path. */
export interface ClaimedTask {
  id: string;
  taskName: string;
  queueName: string;
  priority: number;
  /** Parsed by the driver (jsonb, JSON) or a JSON string (SQLite, MariaDB); decoded once by the executor. */
  args: unknown;
  kwargs: unknown;
  /** This attempt, 1-based. */
  attempt: number;
  maxAttempts: number;
}

export interface ClaimRequest {
  workerId: string;
  /** null: every queue. */
  queues: readonly string[] | null;
  limit: number;
  leaseMs: number;
}

/** The end of one attempt, written only while the row is still RUNNING under this worker and attempt. */
export type TaskOutcome =
  | { kind: 'succeeded'; id: string; attempt: number; returnValue: string }
  /** `retryAt` null: no attempts left, the task becomes FAILED. */
  | { kind: 'failed'; id: string; attempt: number; error: TaskError; retryAt: Date | null }
  | { kind: 'cancelled'; id: string; attempt: number }
  /** Shutdown: back to READY, the attempt not charged. */
  | { kind: 'released'; id: string; attempt: number };

export interface LeaseRenewal {
  /** Held rows whose cancellation was requested. */
  cancelRequested: string[];
  /** The given rows still RUNNING under this worker, as `id:attempt`; an attempt missing here lost its lease. */
  held: Set<string>;
}

export type CancelOutcome = 'cancelled' | 'requested' | 'finished' | 'missing';

export interface PruneRequest {
  olderThan: Date;
  statuses: readonly TaskResultStatus[];
  queues: readonly string[] | null;
  batchSize: number;
}

/**
 * Every SQL statement of the task lifecycle, for one database. Implementations keep their
 * statements in one file so the hot path (`claim`, `finish`) can be read and measured alone.
 */
export interface TaskDialect {
  readonly name: 'sqlite' | 'postgres' | 'mysql';
  /** Inserts in one statement; with `manager`, inside the caller's transaction. */
  insert(rows: NewTaskRow[], manager?: EntityManager): Promise<void>;
  /** Atomically moves up to `limit` due READY tasks to RUNNING under a lease. */
  claim(request: ClaimRequest): Promise<ClaimedTask[]>;
  /**
   * Writes outcomes (fenced); outcomes for rows this worker no longer holds are dropped. A value
   * the database refuses is recorded as a failed attempt; it throws only when the database
   * cannot take the batch (connection lost), and may then be called again with the same batch.
   */
  finish(workerId: string, outcomes: TaskOutcome[]): Promise<void>;
  /** Extends the leases of these rows, where they are still RUNNING under this worker. */
  renewLeases(workerId: string, ids: string[], leaseMs: number): Promise<LeaseRenewal>;
  /** Returns RUNNING tasks whose lease has expired to READY (or FAILED); returns their ids. */
  rescueExpired(limit: number): Promise<string[]>;
  cancel(id: string): Promise<CancelOutcome>;
  setProgress(id: string, workerId: string, attempt: number, progress: string): Promise<void>;
  findById(id: string): Promise<Partial<TaskResult> | null>;
  /** Deletes one batch of finished rows; returns how many. */
  pruneBatch(request: PruneRequest): Promise<number>;
  /** Makes sure the table exists, with a clear error if the migrations have not run. */
  checkSchema(): Promise<void>;
  /**
   * Subscribes to other processes' news, where the database can push it (optional): a task of
   * `queue` may have become due, a task reached a final status. Resolves with an unsubscribe.
   */
  listen?(onEnqueued: (queue: string) => void, onFinished?: (id: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
