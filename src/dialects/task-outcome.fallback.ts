import type { TaskOutcome } from './task-dialect.interface';

/**
 * Writes a batch of outcomes; when the database refuses a value in it (a return value or error
 * it cannot store), writes them one by one and records the refused ones as failures, so one
 * bad value never blocks the batch on every retry. Rewriting an outcome that already went
 * through is a no-op: the row is no longer RUNNING under this attempt.
 */
export async function writeOutcomesSafely(
  outcomes: TaskOutcome[],
  now: Date,
  isDataError: (error: unknown) => boolean,
  write: (outcomes: TaskOutcome[]) => Promise<void>,
): Promise<void> {
  if (outcomes.length === 0) return;
  if (outcomes.length > 1) {
    try {
      await write(outcomes);
      return;
    } catch (error) {
      if (!isDataError(error)) throw error;
    }
  }
  for (const outcome of outcomes) {
    try {
      await write([outcome]);
    } catch (error) {
      if (!isDataError(error) || (outcome.kind !== 'succeeded' && outcome.kind !== 'failed')) throw error;
      await write([unstorableOutcome(outcome, (error as Error).message, now)]);
    }
  }
}

/** What to record instead of an outcome whose return value or error the database refused. */
export function unstorableOutcome(outcome: TaskOutcome & { kind: 'succeeded' | 'failed' }, reason: string, now: Date): TaskOutcome {
  const { id, attempt } = outcome;
  const failedAt = now.toISOString();
  if (outcome.kind === 'succeeded') {
    // The same value would be refused again: no retry.
    return {
      kind: 'failed', id, attempt, retryAt: null,
      error: { name: 'InvalidTaskReturnValueError', message: `The return value could not be stored: ${reason}`, traceback: '', attempt, failedAt },
    };
  }
  return {
    ...outcome,
    error: { name: 'Error', message: `The task failed with an error that could not be stored: ${reason}`, traceback: '', attempt, failedAt },
  };
}
