import type { BackoffFunction } from '../interfaces/task-options.interface';
import type { TaskError } from '../interfaces/task-error.interface';
import { FINISHED_STATUSES, TaskResultStatus } from '../task-result-status.enum';
import type { AttemptRef } from './attempt-ref';
import { retryDelay } from './retry.policy';
import type { TaskRow } from './task-row';
import { afterNow, NOW, resolveTime, TaskTime } from './task-time';

/**
 * The end of one attempt, decided here and only applied by the dialects: a write fenced on the
 * row being RUNNING under the worker's id and this attempt (otherwise it changes nothing).
 *
 * The cancellation race is settled by the database when the statement runs: if
 * `cancel_requested` is set then, the row becomes what `ifCancelRequested(change)` says
 * (CANCELLED, finished, no return value, the error still recorded) instead of `status`.
 */
export interface TaskChange {
  ref: AttemptRef;
  /** SUCCESSFUL, FAILED, CANCELLED (all finished: finished_at becomes the database's now) or READY. */
  status: TaskResultStatus;
  /** JSON text, SUCCESSFUL only. */
  returnValue: string | null;
  /** Appended to `errors`. */
  error: TaskError | null;
  /** READY only: when the task is due again; null keeps run_after. */
  runAfter: TaskTime | null;
  /** A release at shutdown: the attempt is given back (attempt − 1, its worker id removed, started_at reset on the first). */
  uncharge: boolean;
  /**
   * The row had dependents when it was claimed (they never go away), so the dialect writes the
   * change in the transaction that settles them without first trying the statement that leaves
   * such rows out. Absent, a row that gained dependents while it ran is found so by that statement.
   */
  hasDependents?: boolean;
}

/** What a claimed row becomes: RUNNING under `workerId`, attempt + 1, leased for `leaseMs` on the database's clock. */
export interface ClaimChange {
  status: TaskResultStatus.RUNNING;
  claimedBy: string;
  leaseExpiresAt: TaskTime;
}

export interface ClaimedAttempt extends AttemptRef {
  maxAttempts: number;
}

export function claimed(workerId: string, leaseMs: number): ClaimChange {
  return { status: TaskResultStatus.RUNNING, claimedBy: workerId, leaseExpiresAt: afterNow(leaseMs) };
}

/** Only the attempt's identity: a change never keeps the claimed task (its arguments) alive. */
function refOf(attempt: AttemptRef): AttemptRef {
  return { id: attempt.id, attempt: attempt.attempt };
}

export function succeeded(attempt: AttemptRef, returnValue: string): TaskChange {
  return { ref: refOf(attempt), status: TaskResultStatus.SUCCESSFUL, returnValue, error: null, runAfter: null, uncharge: false };
}

/**
 * A failed attempt: retried after the task's backoff while attempts are left and retrying can
 * help, else FAILED. `onBackoffProblem` hears of a backoff that could not be used (the default
 * replaced it; the reason is also recorded in the error's traceback).
 */
export function failed(
  task: ClaimedAttempt,
  error: TaskError,
  options: { retryable: boolean; backoff?: number | BackoffFunction; onBackoffProblem?: (problem: string) => void },
): TaskChange {
  const ref = refOf(task);
  if (!options.retryable || task.attempt >= task.maxAttempts) {
    return { ref, status: TaskResultStatus.FAILED, returnValue: null, error, runAfter: null, uncharge: false };
  }
  const { delayMs, problem } = retryDelay(task.attempt, options.backoff);
  let recorded = error;
  if (problem) {
    options.onBackoffProblem?.(problem);
    recorded = { ...error, traceback: `${error.traceback}${error.traceback ? '\n' : ''}[retry] ${problem}` };
  }
  return { ref, status: TaskResultStatus.READY, returnValue: null, error: recorded, runAfter: afterNow(delayMs), uncharge: false };
}

/** The attempt stopped because its cancellation was requested. */
export function cancelled(attempt: AttemptRef): TaskChange {
  return { ref: refOf(attempt), status: TaskResultStatus.CANCELLED, returnValue: null, error: null, runAfter: null, uncharge: false };
}

/** Shutdown: back to READY at once, the attempt not charged. */
export function released(attempt: AttemptRef): TaskChange {
  return { ref: refOf(attempt), status: TaskResultStatus.READY, returnValue: null, error: null, runAfter: null, uncharge: true };
}

/** `context().requeue(delayMs)`: READY again after `delayMs` on the database's clock, the attempt not charged. */
export function requeued(attempt: AttemptRef, delayMs: number): TaskChange {
  return { ref: refOf(attempt), status: TaskResultStatus.READY, returnValue: null, error: null, runAfter: afterNow(delayMs), uncharge: true };
}

/** What a row whose lease expired held by `claimedBy`. */
export interface ExpiredAttempt extends ClaimedAttempt {
  claimedBy: string;
}

/** The error recorded for an attempt whose worker stopped renewing its lease. */
export function workerLostError(claimedBy: string, attempt: number, failedAt: Date): TaskError {
  return {
    name: 'WorkerLostError',
    message: `Worker ${claimedBy} stopped renewing its lease (it crashed, hung or lost the database); the attempt was abandoned.`,
    traceback: '',
    attempt,
    failedAt: failedAt.toISOString(),
  };
}

/** A lease rescue: due again at once while attempts are left, else FAILED with a WorkerLostError. */
export function rescued(row: ExpiredAttempt, failedAt: Date): TaskChange {
  const ref = refOf(row);
  const error = workerLostError(row.claimedBy, row.attempt, failedAt);
  return row.attempt >= row.maxAttempts
    ? { ref, status: TaskResultStatus.FAILED, returnValue: null, error, runAfter: null, uncharge: false }
    : { ref, status: TaskResultStatus.READY, returnValue: null, error, runAfter: NOW, uncharge: false };
}

/** The change as the statement writes it when the row's cancellation was requested before it ran. */
export function ifCancelRequested(change: TaskChange): TaskChange {
  return { ...change, status: TaskResultStatus.CANCELLED, returnValue: null, runAfter: null };
}

/** What `cancel(id)` does to a row in `status`. */
export type CancelDecision = 'cancel' | 'request' | 'none';

export function cancelDecision(status: TaskResultStatus): CancelDecision {
  if (status === TaskResultStatus.READY || status === TaskResultStatus.WAITING) return 'cancel';
  if (status === TaskResultStatus.RUNNING) return 'request';
  return 'none';
}

export function isFinished(status: TaskResultStatus): boolean {
  return FINISHED_STATUSES.includes(status);
}

/**
 * A success and nothing else: most changes are these, and dialects apply them with a statement
 * that sets only what a success sets.
 */
export function isPlainSuccess(change: TaskChange): change is TaskChange & { returnValue: string } {
  return change.status === TaskResultStatus.SUCCESSFUL && change.returnValue !== null && !change.error && !change.runAfter && !change.uncharge;
}

/**
 * Applies a change to a row in memory, exactly as the dialects' statements do (fence, cancel
 * race, times against `now`): the immediate backend runs on it, and the dialect suite compares
 * every database with it. Returns false, changing nothing, when the fence does not hold.
 */
export function applyChange(row: TaskRow, workerId: string, change: TaskChange, now: Date): boolean {
  if (row.status !== TaskResultStatus.RUNNING || row.claimedBy !== workerId || row.workerIds.length !== change.ref.attempt) {
    return false;
  }
  const applied = row.cancelRequested ? ifCancelRequested(change) : change;
  row.status = applied.status;
  row.finishedAt = isFinished(applied.status) ? now : null;
  if (applied.status === TaskResultStatus.SUCCESSFUL) row.storedReturnValue = JSON.parse(applied.returnValue ?? 'null');
  if (applied.error) row.errors = [...row.errors, applied.error];
  if (applied.runAfter) row.runAfter = resolveTime(applied.runAfter, now);
  if (applied.uncharge) {
    row.workerIds = row.workerIds.slice(0, -1);
    if (row.workerIds.length === 0) row.startedAt = null;
  }
  row.claimedBy = null;
  row.leaseExpiresAt = null;
  return true;
}

/** Applies a claim to a READY row in memory, as the dialects' claim statements do. */
export function applyClaim(row: TaskRow, change: ClaimChange, now: Date): void {
  row.status = change.status;
  row.claimedBy = change.claimedBy;
  row.leaseExpiresAt = resolveTime(change.leaseExpiresAt, now);
  row.startedAt ??= now;
  row.lastAttemptedAt = now;
  row.workerIds = [...row.workerIds, change.claimedBy];
}
