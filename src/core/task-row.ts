import type { TaskError } from '../interfaces/task-error.interface';
import type { TaskResultStatus } from '../task-result-status.enum';

/** Progress reported by a running task. */
export interface TaskProgress {
  current: number;
  total: number | null;
  message: string | null;
}

/**
 * One row of task_results as plain data: what the entity, the dialects and the worker share.
 * It imports nothing but leaf types, so anything may depend on it.
 */
export interface TaskRow<R = unknown> {
  id: string;
  taskName: string;
  status: TaskResultStatus;
  queueName: string;
  priority: number;
  args: unknown[];
  kwargs: Record<string, unknown>;
  backend: string;
  runAfter: Date;
  enqueuedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  lastAttemptedAt: Date | null;
  maxAttempts: number;
  errors: TaskError[];
  workerIds: string[];
  progress: TaskProgress | null;
  storedReturnValue: R | null;
  claimedBy: string | null;
  leaseExpiresAt: Date | null;
  cancelRequested: boolean;
  /** The tick of a periodic task's run, else null. */
  scheduledAt: Date | null;
  /** The group or chain the task belongs to. */
  groupId: string | null;
  /** The enqueue option `metadata`: the user's own JSON object. */
  metadata: Record<string, unknown> | null;
  /** The enqueue option `key`, else null. */
  uniqueKey: string | null;
}
