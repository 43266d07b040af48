import type { ClaimedTask } from '../dialects/task-dialect.interface';
import type { TaskResult } from '../entities/task-result.entity';

/**
 * What the runner of attempts gives the executor: one object for all its attempts (the worker's
 * lives as long as its run), so that an attempt allocates no closures for what it rarely uses.
 */
export interface AttemptHooks {
  workerId: string;
  setProgress(task: ClaimedTask, progress: string): Promise<void>;
  /** Builds the row as an entity, only if the task asks for `context().taskResult`. */
  taskResult(task: ClaimedTask): TaskResult;
}
