import type { TaskRow } from '../core/task-row';

/** Where a `TaskResult` reloads itself from: the backend of the application that produced or loaded it. */
export interface TaskResultSource {
  /** Every column of the row, as entity properties, or null if it is gone. */
  load(id: string): Promise<Partial<TaskRow> | null>;
  /** Resolves after `ms`, sooner if the task may have changed since the call, or when `signal` aborts. */
  waitForChange(id: string, ms: number, signal?: AbortSignal): Promise<void>;
  /** Ids of the tasks `id` depends on, in `dependsOn` order. */
  dependencyIds(id: string): Promise<string[]>;
  /** Ids of the tasks that depend on `id`. */
  dependentIds(id: string): Promise<string[]>;
  /** Deletes a finished task; false if it is not finished. */
  forget(id: string): Promise<boolean>;
}

const SOURCE = Symbol('nestjs-tasks:source');
let fallback: TaskResultSource | undefined;

export function bindTaskResult<T extends object>(result: T, source: TaskResultSource): T {
  Object.defineProperty(result, SOURCE, { value: source, enumerable: false, configurable: true, writable: true });
  return result;
}

export function getTaskResultSource(result: object): TaskResultSource | undefined {
  return (result as { [SOURCE]?: TaskResultSource })[SOURCE] ?? fallback;
}

/**
 * Instances built by hand (`repository.create()`, `Object.assign(new TaskResult(), …)`) have no
 * source of their own; they use the most recently started application's.
 */
export function setFallbackTaskResultSource(source: TaskResultSource | undefined): void {
  fallback = source;
}

export function clearFallbackTaskResultSource(source: TaskResultSource): void {
  if (fallback === source) fallback = undefined;
}
