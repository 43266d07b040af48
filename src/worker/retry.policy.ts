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

/** When the next attempt may start, or null when `attempt` was the last one allowed. */
export function nextAttemptAt(attempt: number, maxAttempts: number, backoff: number | BackoffFunction | undefined, now = Date.now()): Date | null {
  if (attempt >= maxAttempts) return null;
  const delay = typeof backoff === 'function' ? backoff(attempt) : backoff ?? defaultBackoff(attempt);
  return new Date(now + Math.max(0, Number.isFinite(delay) ? delay : 0));
}
