/**
 * A time as the state machine decides it: absolute (`runAfter` given by the user) or relative to
 * the database's clock (backoff, leases, `delay`, `olderThan`), which the dialect applies with
 * that clock so that no process's clock is ever compared with another's.
 */
export interface AbsoluteTime {
  readonly at: Date;
}

export interface RelativeTime {
  /** Milliseconds after the database's now; negative: before it. */
  readonly afterNow: number;
}

export type TaskTime = AbsoluteTime | RelativeTime;

export const NOW: TaskTime = { afterNow: 0 };

export function afterNow(ms: number): TaskTime {
  return { afterNow: ms };
}

export function isRelative(time: TaskTime): time is RelativeTime {
  return 'afterNow' in time;
}

/** The time against `now`, for memory backends and tests (the dialects use the database's clock). */
export function resolveTime(time: TaskTime, now: Date): Date {
  return isRelative(time) ? new Date(now.getTime() + time.afterNow) : time.at;
}
