import { AbortCause, AttemptResult } from '../execution/task-attempt';
import type { ClaimedTask } from '../dialects/task-dialect.interface';
import { TaskResultStatus } from '../task-result-status.enum';

export type AttemptOutcome = 'succeeded' | 'retrying' | 'failed' | 'cancelled' | 'released' | 'requeued';

/**
 * How an attempt ended, and the final status it gives the task (null when the task will run
 * again), as core/task.transitions decides it: a failure with attempts left is retried.
 */
export function attemptOutcome(task: ClaimedTask, result: AttemptResult): { outcome: AttemptOutcome; finalStatus: TaskResultStatus | null } {
  switch (result.kind) {
    case 'succeeded':
      return { outcome: 'succeeded', finalStatus: TaskResultStatus.SUCCESSFUL };
    case 'failed':
      return !result.retryable || task.attempt >= task.maxAttempts
        ? { outcome: 'failed', finalStatus: TaskResultStatus.FAILED }
        : { outcome: 'retrying', finalStatus: null };
    case 'aborted':
      return result.cause === AbortCause.CANCELLED
        ? { outcome: 'cancelled', finalStatus: TaskResultStatus.CANCELLED }
        : { outcome: 'released', finalStatus: null };
    case 'requeued':
      return { outcome: 'requeued', finalStatus: null };
  }
}
