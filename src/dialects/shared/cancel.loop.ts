import { TaskResultStatus } from '../../task-result-status.enum';
import { cancelDecision, isFinished } from '../../core/task.transitions';
import type { CancelOutcome } from '../task-dialect.interface';

/** The three statements `cancel` is made of, in a dialect. */
export interface CancelStatements {
  /** READY → CANCELLED (finished now); true when it changed the row. */
  cancelReady(id: string): Promise<boolean>;
  /** RUNNING → cancel_requested; true when it changed the row. */
  cancelRunning(id: string): Promise<boolean>;
  status(id: string): Promise<TaskResultStatus | null>;
  /** READY or WAITING → CANCELLED for a task that has dependents, cancelled with it in one transaction. */
  cancelWithDependents(id: string): Promise<boolean>;
}

/**
 * Cancels task `id` with separate statements, each seeing the row as it is then: a task claimed
 * between two of them is seen RUNNING by the next one, and a task that moved on meanwhile
 * (claimed, then retried) is tried again, a few rounds at most.
 */
export async function cancelTask(id: string, statements: CancelStatements): Promise<CancelOutcome> {
  let status: TaskResultStatus | null = TaskResultStatus.READY;
  for (let round = 0; round < 3; round++) {
    const decision = cancelDecision(status);
    if (decision === 'cancel' && ((await statements.cancelReady(id)) || (await statements.cancelWithDependents(id)))) return 'cancelled';
    if (decision !== 'none' && (await statements.cancelRunning(id))) return 'requested';
    status = await statements.status(id);
    if (status === null) return 'missing';
    if (isFinished(status)) return 'finished';
  }
  return 'finished';
}
