import type { EntityManager } from 'typeorm';

/** Names of the methods of `T`. */
export type TaskMethodName<T> = {
  [K in keyof T]-?: T[K] extends (...args: any[]) => any ? K : never;
}[keyof T] &
  string;

/** Parameters of method `K` of `T`. */
export type TaskArgs<T, K extends keyof T> = T[K] extends (...args: infer A) => any ? A : never;

/** What method `K` of `T` resolves to. */
export type TaskReturn<T, K extends keyof T> = T[K] extends (...args: any[]) => infer R ? Awaited<R> : never;

/** All parameters but the last, for tasks enqueued with `kwargs`. */
export type LeadingArgs<A extends unknown[]> = Required<A> extends [...infer Head, unknown] ? Head : A;
/** The last parameter, the one `kwargs` fills. */
export type LastArg<A extends unknown[]> = Required<A> extends [...unknown[], infer Last] ? Last : never;

export interface EnqueueOptions {
  /** Overrides the task's priority (-100..100). */
  priority?: number;
  /** Overrides the task's queue; must be one of the module's `queues` when those are set. */
  queueName?: string;
  /** Do not start before this time (up to the year 9999). */
  runAfter?: Date;
  /** Do not start before this many milliseconds from now, measured by the database's clock. Not with `runAfter`. */
  delay?: number;
  /** Overrides the task's `maxAttempts`. */
  maxAttempts?: number;
  /** Enqueue inside this transaction: rolled back, nothing was enqueued. */
  manager?: EntityManager;
  /**
   * Tasks this one waits for (results, ids, or a group: all its members): it stays WAITING until
   * they finish, then becomes READY in the transaction that finishes the last one.
   */
  dependsOn?: readonly (DependencyRef)[];
  /** When a dependency ends FAILED or CANCELLED: `'cancel'` this task (default, with its own dependents) or `'run'` it anyway. */
  onDependencyFailure?: 'cancel' | 'run';
  /** A JSON object of your own, stored on the row (`result.metadata`) and queryable. */
  metadata?: Record<string, unknown>;
  /**
   * At most one pending (READY or WAITING) task of this task name per key, enforced by the
   * database: a RUNNING task does not hold its key. 1 to 255 characters.
   */
  key?: string;
  /**
   * When a pending task holds `key`: `'skip'` (default) resolves with it, `'replace'` gives it
   * this enqueue's args, kwargs, metadata, priority and run time; either way `deduplicated` is true.
   */
  onConflict?: 'skip' | 'replace';
  /**
   * Requires `key`, implies `onConflict: 'replace'`: run `wait` ms after the last enqueue of the
   * key, but no later than `maxWait` ms after the first enqueue of the pending task, when given.
   */
  debounce?: number | DebounceOptions;
  /**
   * Requires `key`: accepted only if no enqueue of this task name and key was accepted in the last
   * `throttle` ms; a refused one resolves with the accepted task (`deduplicated` true), or throws
   * `TaskThrottledError` if that task is gone.
   */
  throttle?: number;
}

/** The enqueue option `debounce`, in milliseconds (integers >= 0). */
export interface DebounceOptions {
  wait: number;
  maxWait?: number;
}

/** A dependency: a task's result or id, or a group (all its members). */
export type DependencyRef = { id: string } | string | { id: string; results: readonly { id: string }[] };

/** Options of `group()` and `chain()`. */
export interface WorkflowOptions {
  /** Store the workflow inside this transaction: rolled back, nothing was stored. */
  manager?: EntityManager;
}

export interface EnqueueWithKwargs<K> extends EnqueueOptions {
  /** Passed to the method as one extra, last argument. */
  kwargs: K;
}

export interface PruneOptions {
  /** Delete results finished before this time (a Date, or ms before now by the database's clock). */
  olderThan: Date | number;
  /** Default: SUCCESSFUL, FAILED and CANCELLED. Unfinished tasks are never pruned. */
  statuses?: ('SUCCESSFUL' | 'FAILED' | 'CANCELLED')[];
  /** Default: every queue. */
  queues?: string[];
  /** Rows deleted per statement, a positive integer; default 1000. */
  batchSize?: number;
}
