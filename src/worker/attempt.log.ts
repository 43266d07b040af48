import type { LoggerService } from '@nestjs/common';
import type { ClaimedTask } from '../dialects/task-dialect.interface';
import type { TaskChange } from '../core/task.transitions';
import { isRelative } from '../core/task-time';
import { TaskResultStatus } from '../task-result-status.enum';

/** A failed attempt: a warning while attempts are left, an error when it was the last. */
export function logFailedAttempt(logger: LoggerService, task: ClaimedTask, change: TaskChange): void {
  const { error, runAfter } = change;
  if (!error) return;
  const what = `Task ${task.taskName} ${task.id} attempt ${task.attempt} of ${task.maxAttempts} failed: ${error.name}: ${error.message}`;
  if (change.status === TaskResultStatus.READY && runAfter) {
    const delay = isRelative(runAfter) ? runAfter.afterNow : runAfter.at.getTime() - Date.now();
    logger.warn(`${what}; will retry in ${Math.max(0, delay)} ms.`);
  } else {
    logger.error(`${what}; will not retry, the task has FAILED.`, error.traceback || undefined);
  }
}
