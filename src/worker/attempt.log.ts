import type { LoggerService } from '@nestjs/common';
import type { ClaimedTask, TaskOutcome } from '../dialects/task-dialect.interface';

/** A failed attempt: a warning while attempts are left, an error when it was the last. */
export function logFailedAttempt(logger: LoggerService, task: ClaimedTask, outcome: Extract<TaskOutcome, { kind: 'failed' }>): void {
  const { error, attempt, retryAt } = outcome;
  const what = `Task ${task.taskName} ${task.id} attempt ${attempt} of ${task.maxAttempts} failed: ${error.name}: ${error.message}`;
  if (retryAt) {
    logger.warn(`${what}; will retry in ${Math.max(0, retryAt.getTime() - Date.now())} ms.`);
  } else {
    logger.error(`${what}; will not retry, the task has FAILED.`, error.traceback || undefined);
  }
}
