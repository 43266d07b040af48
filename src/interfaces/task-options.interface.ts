/** Milliseconds to wait before retry number `attempt + 1`, given the attempt that just failed (1-based). */
export type BackoffFunction = (attempt: number) => number;

/**
 * `A`: the parameters of the method, as `concurrencyKey` receives them (inferred from it by
 * `@Task()`, which then checks them against the method's).
 */
export interface TaskOptions<A extends unknown[] = any[]> {
  /** Stored name of the task; default `ClassName.methodName`. Keep it stable: rows refer to it. */
  name?: string;
  /** Default `'default'`. */
  queueName?: string;
  /** Integer -100..100, higher runs first; default 0. */
  priority?: number;
  /** Default 1 (no retry). */
  maxAttempts?: number;
  /** Delay before a retry, in ms or as a function of the failed attempt; default exponential with jitter. */
  backoff?: number | BackoffFunction;
  /** Milliseconds; the task's `AbortSignal` fires and the attempt fails with `TaskTimeoutError`. */
  timeout?: number;
  /**
   * Runs the task periodically, once per tick across every process (a static schedule whose id
   * is the task's name): the syntax of the `cron` package, as `@Cron()`, 5 or 6 fields.
   */
  cron?: string;
  /** IANA zone of `cron`'s wall clock; default `'UTC'` (unlike `@Cron()`, which uses the process's zone). */
  timeZone?: string;
  /** Milliseconds: ticks missed within this window while no scheduler ran are enqueued once each; default 0. */
  backfill?: number;
  /** `false`: skip a tick while the previous run is unfinished; default `true`. */
  overlap?: boolean;
  /** The arguments of each scheduled run; default `[]`. */
  args?: unknown[];
  /**
   * At most this many attempts of the task RUNNING at once across every worker of the database
   * (per key with `concurrencyKey`); a positive integer. Over it, a task waits READY.
   */
  globalConcurrency?: number;
  /**
   * The key `globalConcurrency` counts per (a tenant, an account), computed from the task's
   * arguments (the method's parameters): a string of at most 191 characters. Needs `globalConcurrency`.
   */
  concurrencyKey?: (...args: A) => string;
}
