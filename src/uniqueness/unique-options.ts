import type { EnqueueOptions } from '../interfaces/task-types';
import { InvalidTaskError } from '../task.errors';

/** The longest key every database's column takes (characters). */
export const MAX_KEY_LENGTH = 255;

/** What an enqueue with `key` asks for, checked. */
export interface UniqueEnqueue {
  key: string;
  /** `onConflict: 'replace'` (or a debounce): the pending task takes this enqueue's values. */
  replace: boolean;
  /** Debounce `maxWait`: a replace never moves the run time past the pending task's enqueue + this. */
  maxWaitMs: number | null;
  throttleMs: number | null;
  /** Debounce: the delay of the run time, `min(wait, maxWait)`, in place of `runAfter`/`delay`. */
  delayMs: number | null;
}

/**
 * The unique-task options of `options`, or null when there are none; `InvalidTaskError` for any
 * inconsistent or out-of-range one, before anything is stored.
 */
export function uniqueOptions(options: EnqueueOptions, where: string): UniqueEnqueue | null {
  const { key, onConflict, debounce, throttle } = options;
  if (key === undefined) {
    const stray = (['onConflict', 'debounce', 'throttle'] as const).filter((name) => options[name] !== undefined);
    if (stray.length > 0) throw new InvalidTaskError(`${where}: ${stray.join(' and ')} require${stray.length > 1 ? '' : 's'} a key.`);
    return null;
  }
  checkKey(key, where);
  if (onConflict !== undefined && onConflict !== 'skip' && onConflict !== 'replace') {
    throw new InvalidTaskError(`${where}: onConflict must be 'skip' or 'replace', got ${String(onConflict)}.`);
  }
  let delayMs: number | null = null;
  let maxWaitMs: number | null = null;
  if (debounce !== undefined) {
    if (onConflict === 'skip') throw new InvalidTaskError(`${where}: debounce replaces the pending task; it cannot go with onConflict 'skip'.`);
    if (options.runAfter !== undefined || options.delay !== undefined) {
      throw new InvalidTaskError(`${where}: debounce sets the run time; give it without runAfter or delay.`);
    }
    const wait = typeof debounce === 'number' ? debounce : debounce?.wait;
    checkMs(wait, `${where}: debounce${typeof debounce === 'number' ? '' : '.wait'}`);
    if (typeof debounce === 'object' && debounce.maxWait !== undefined) {
      checkMs(debounce.maxWait, `${where}: debounce.maxWait`);
      maxWaitMs = debounce.maxWait;
    }
    delayMs = maxWaitMs === null ? wait : Math.min(wait, maxWaitMs);
  }
  if (throttle !== undefined) checkMs(throttle, `${where}: throttle`);
  return { key, replace: onConflict === 'replace' || debounce !== undefined, maxWaitMs, throttleMs: throttle ?? null, delayMs };
}

/** A key every database stores and compares as given. */
export function checkKey(key: unknown, where: string): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidTaskError(`${where}: key must be a non-empty string.`);
  // Code points, as the databases count characters.
  const length = [...key].length;
  if (length > MAX_KEY_LENGTH) throw new InvalidTaskError(`${where}: key is ${length} characters long; at most ${MAX_KEY_LENGTH}.`);
  if (key.includes('\u0000')) throw new InvalidTaskError(`${where}: key must not contain NUL characters (PostgreSQL cannot store them).`);
}

function checkMs(value: unknown, what: string): asserts value is number {
  // A year: far beyond any sensible window, well inside every database's interval arithmetic.
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > 366 * 24 * 3600_000) {
    throw new InvalidTaskError(`${what} must be an integer number of milliseconds from 0 to a year, got ${String(value)}.`);
  }
}
