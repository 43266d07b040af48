import type { BackoffFunction } from '../interfaces/task-options.interface';

const BASE_DELAY_MS = 1_000;
const MAX_DELAY_MS = 60 * 60 * 1000;

/**
 * Default delay before the retry that follows failed attempt `attempt`: 1 s, 2 s, 4 s … capped
 * at an hour, each drawn from [½, 1] of that so that tasks failing together do not retry together.
 */
export function defaultBackoff(attempt: number): number {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.min(attempt - 1, 32));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

export interface RetryDelay {
  /** Milliseconds after the database's now. */
  delayMs: number;
  /** Set when the task's own backoff could not be used and the default replaced it. */
  problem?: string;
}

/**
 * The delay before the retry after failed attempt `attempt`. A user's backoff that throws or
 * returns anything but a finite number ≥ 0 must not cost the outcome: the default backoff is
 * used instead and the reason returned, to be logged and recorded with the attempt's error.
 */
export function retryDelay(attempt: number, backoff: number | BackoffFunction | undefined): RetryDelay {
  if (backoff === undefined) return { delayMs: defaultBackoff(attempt) };
  let value: unknown;
  try {
    value = typeof backoff === 'function' ? backoff(attempt) : backoff;
  } catch (error) {
    return fallback(attempt, `backoff(${attempt}) threw ${describe(error)}`);
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    return fallback(attempt, `backoff(${attempt}) returned ${describe(value)}, not a number of milliseconds >= 0`);
  }
  return { delayMs: Math.round(value) };
}

function fallback(attempt: number, reason: string): RetryDelay {
  const delayMs = defaultBackoff(attempt);
  return { delayMs, problem: `${reason}; the default backoff (${delayMs} ms) was used` };
}

function describe(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return typeof value === 'string' ? JSON.stringify(value) : String(value);
  } catch {
    return typeof value;
  }
}
