import type { TaskResult } from '../entities/task-result.entity';
import { TaskResultStatus } from '../task-result-status.enum';
import { resolveTime } from '../core/task-time';
import type { KeyedTask } from './uniqueness-dialect.interface';

/** The throttle windows of the `immediate` and `dummy` backends: accepted task and end, per task name and key. */
export type MemoryThrottles = Map<string, { taskId: string; openUntil: number }>;

export function throttleSlot(taskName: string, key: string): string {
  return JSON.stringify([taskName, key]);
}

/** The READY or WAITING result holding `key` of `taskName` among `results`: one no worker has claimed yet, as in the database. */
export function findPending(results: Iterable<TaskResult>, taskName: string, key: string): TaskResult | undefined {
  for (const result of results) {
    if (result.taskName === taskName && result.uniqueKey === key && !result.lastAttemptedAt
        && (result.status === TaskResultStatus.READY || result.status === TaskResultStatus.WAITING)) return result;
  }
  return undefined;
}

/** `pending` takes `task`'s args, kwargs, metadata, priority and run time, as the database's replace does. */
export function replacePending(pending: TaskResult, task: KeyedTask, now: Date): void {
  const { row } = task;
  pending.args = row.values.args;
  pending.kwargs = row.values.kwargs;
  pending.metadata = row.metadata ?? null;
  pending.priority = row.priority;
  const runAfter = resolveTime(row.runAfter, now);
  const latest = task.maxWaitMs === null ? Infinity : new Date(pending.enqueuedAt).getTime() + task.maxWaitMs;
  pending.runAfter = new Date(Math.min(runAfter.getTime(), latest));
}
