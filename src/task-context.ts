import { AsyncLocalStorage } from 'node:async_hooks';
import type { TaskResult } from './entities/task-result.entity';

/** What a running task can see of itself, through `TaskService.context()`. */
export interface TaskContext<R = unknown> {
  /** The task's row (as claimed; `refresh()` it for more). */
  readonly taskResult: TaskResult<R>;
  /** 1-based. */
  readonly attempt: number;
  readonly workerId: string;
  /** The tick this run of a periodic task was enqueued for (see `TaskService.schedule()`); null for other tasks. */
  readonly scheduledAt: Date | null;
  /** Fires on timeout, cancellation, shutdown or a lost lease; long tasks should watch it. */
  readonly signal: AbortSignal;
  /** Records progress on the row, for whoever watches the result. */
  setProgress(current: number, total?: number, message?: string): Promise<void>;
  /**
   * The results of the tasks this one depends on, in `dependsOn` order (a chain step's: the
   * previous step; a chord callback's: the members, in order).
   */
  dependencies(): Promise<TaskResult[]>;
  /** Ends this attempt and puts the task back READY after `delayMs` (default 0), the attempt not charged. */
  requeue(delayMs?: number): never;
}

export const taskContextStorage = new AsyncLocalStorage<TaskContext>();
