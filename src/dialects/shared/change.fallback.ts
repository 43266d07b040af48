import type { TaskChange } from '../../core/task.transitions';
import { TaskResultStatus } from '../../task-result-status.enum';

/**
 * Writes a batch of changes; when the database refuses a value in it (a return value or error
 * it cannot store), writes them one by one and records the refused ones as failures, so one
 * bad value never blocks the batch on every retry. Rewriting a change that already went
 * through is a no-op: the row is no longer RUNNING under this attempt.
 */
export async function writeChangesSafely(
  changes: TaskChange[],
  isDataError: (error: unknown) => boolean,
  write: (changes: TaskChange[]) => Promise<void>,
): Promise<void> {
  if (changes.length === 0) return;
  if (changes.length > 1) {
    try {
      await write(changes);
      return;
    } catch (error) {
      if (!isDataError(error)) throw error;
    }
  }
  for (const change of changes) {
    try {
      await write([change]);
    } catch (error) {
      if (!isDataError(error) || (change.returnValue === null && change.error === null)) throw error;
      await write([unstorableChange(change, (error as Error).message)]);
    }
  }
}

/** What to record instead of a change whose return value or error the database refused. */
export function unstorableChange(change: TaskChange, reason: string): TaskChange {
  const { attempt } = change.ref;
  const failedAt = new Date().toISOString();
  if (change.status === TaskResultStatus.SUCCESSFUL) {
    // The same value would be refused again: no retry.
    return {
      ...change, status: TaskResultStatus.FAILED, returnValue: null,
      error: { name: 'InvalidTaskReturnValueError', message: `The return value could not be stored: ${reason}`, traceback: '', attempt, failedAt },
    };
  }
  return {
    ...change,
    error: { name: 'Error', message: `The task failed with an error that could not be stored: ${reason}`, traceback: '', attempt, failedAt },
  };
}
