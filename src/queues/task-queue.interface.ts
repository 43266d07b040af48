import type { RateLimit } from '../limits/queue-limits';
import type { TaskResultStatus } from '../task-result-status.enum';

/** A queue as `TaskService.listQueues()` reports it. */
export interface TaskQueueInfo {
  name: string;
  /** Paused with `pauseQueue()`: claimed by no worker until `resumeQueue()`. */
  paused: boolean;
  /** The limits this process's `TasksModule` gives the queue (each worker enforces its own). */
  globalConcurrency?: number;
  rateLimit?: RateLimit;
  /** Its tasks per status, every status present. */
  counts: Record<TaskResultStatus, number>;
}
