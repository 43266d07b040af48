import type { TaskResultStatus } from '../task-result-status.enum';

/** Where paused queues live: task_queues, or memory for the `immediate` and `dummy` backends. */
export interface QueueStore {
  setPaused(name: string, paused: boolean): Promise<void>;
  /** The queues stored as paused or not (a queue never paused has no entry). */
  stored(): Promise<{ name: string; paused: boolean }[]>;
  /** Tasks per queue and status. */
  counts(): Promise<{ queue: string; status: TaskResultStatus; count: number }[]>;
}
