import type { TaskOptions } from '../interfaces/task-options.interface';
import { InvalidTaskError, TaskConcurrencyKeyError } from '../task.errors';
import { positiveInteger } from './queue-limits';

/** `@Task({ globalConcurrency, concurrencyKey })`, checked. */
export interface TaskLimit {
  globalConcurrency: number;
  concurrencyKey?: (...args: unknown[]) => string;
}

/** The longest key every database stores in task_results.concurrency_key. */
const MAX_KEY_LENGTH = 191;

/** The task's limit, checked at start-up (`InvalidTaskError` naming the task); undefined without one. */
export function taskLimit(where: string, options: TaskOptions): TaskLimit | undefined {
  const { globalConcurrency, concurrencyKey } = options;
  if (concurrencyKey !== undefined && typeof concurrencyKey !== 'function') {
    throw new InvalidTaskError(`${where}: concurrencyKey must be a function of the task's arguments returning a string.`);
  }
  if (globalConcurrency === undefined) {
    if (concurrencyKey) throw new InvalidTaskError(`${where}: concurrencyKey needs globalConcurrency, the number of RUNNING attempts allowed per key.`);
    return undefined;
  }
  const limit: TaskLimit = { globalConcurrency: positiveInteger(`${where}: globalConcurrency`, globalConcurrency) };
  if (concurrencyKey) limit.concurrencyKey = concurrencyKey as (...args: unknown[]) => string;
  return limit;
}

/**
 * The key of one run, from its arguments as the method receives them (`kwargs`, when given, as
 * the last). `TaskConcurrencyKeyError` when the function throws or returns anything but a string
 * of at most 191 characters.
 */
export function concurrencyKeyOf(taskName: string, limit: TaskLimit, args: unknown[], kwargs?: Record<string, unknown>): string | null {
  if (!limit.concurrencyKey) return null;
  let key: unknown;
  try {
    key = limit.concurrencyKey(...(kwargs === undefined ? args : [...args, kwargs]));
  } catch (error) {
    throw new TaskConcurrencyKeyError(`The concurrencyKey of ${taskName} threw: ${(error as Error)?.message ?? String(error)}`, error);
  }
  if (typeof key !== 'string' || key.length > MAX_KEY_LENGTH) {
    throw new TaskConcurrencyKeyError(
      `The concurrencyKey of ${taskName} must return a string of at most ${MAX_KEY_LENGTH} characters, got ${typeof key === 'string' ? `${key.length} characters` : JSON.stringify(key) ?? String(key)}.`);
  }
  return key;
}
