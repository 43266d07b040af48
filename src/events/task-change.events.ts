import type { TaskResult } from '../entities/task-result.entity';
import type { TaskError } from '../interfaces/task-error.interface';
import { TaskResultStatus } from '../task-result-status.enum';
import type { TaskEventName } from './task-event.types';

type Row = Partial<TaskResult>;

/** The events of one committed change, and the row as that change left it. */
export interface TaskChangeEvents {
  events: TaskEventName[];
  row: Row;
}

/** How an attempt ended, as the worker handed it to the database. */
export interface WrittenOutcome {
  kind: 'succeeded' | 'failed' | 'cancelled' | 'released';
  attempt: number;
  /** The failed attempt's error, and whether a retry was scheduled. */
  error?: TaskError;
  retry?: boolean;
}

export const OUTCOME_EVENTS: readonly TaskEventName[] = ['retrying', 'succeeded', 'failed', 'cancelled', 'finished'];
export const RESCUE_EVENTS: readonly TaskEventName[] = ['rescued', ...OUTCOME_EVENTS];

const LOST = 'WorkerLostError';

/**
 * Which events the write of `outcome` made, judged from the row read back after it committed.
 * Writes are fenced, so the write may not have applied (the lease was lost and the row rescued),
 * and the row may have moved on since (a retry already claimed again): then the row is shown as
 * the write left it. Null when the write changed nothing that is announced.
 */
export function eventsOfOutcome(row: Row | null, outcome: WrittenOutcome): TaskChangeEvents | null {
  if (!row) return null;
  const attempt = outcome.attempt;
  const attempts = row.workerIds?.length ?? 0;
  if (outcome.kind === 'released') {
    // A release puts the row back uncharged; only a cancellation requested meanwhile is news.
    return attempts === attempt - 1 && row.status === TaskResultStatus.CANCELLED ? finished('cancelled', row) : null;
  }
  if (attempts < attempt) return null;
  const ownError = outcome.error && row.errors?.some((error) => sameError(error, outcome.error!));
  const rescued = row.errors?.some((error) => error.attempt === attempt && error.name === LOST && !(outcome.error && sameError(error, outcome.error)));
  if (rescued || (outcome.kind === 'failed' && !ownError)) return null;
  if (attempts > attempt) {
    // Claimed again since: only a scheduled retry lets that happen this soon.
    return outcome.kind === 'failed' && outcome.retry ? { events: ['retrying'], row: asLeftBy(row, attempt, TaskResultStatus.READY) } : null;
  }
  switch (row.status) {
    case TaskResultStatus.SUCCESSFUL:
      return outcome.kind === 'succeeded' ? finished('succeeded', row) : null;
    case TaskResultStatus.FAILED:
      return outcome.kind === 'failed' ? finished('failed', row) : null;
    case TaskResultStatus.CANCELLED:
      return finished('cancelled', row);
    case TaskResultStatus.READY:
      return outcome.kind === 'failed' && outcome.retry ? { events: ['retrying'], row } : null;
    default:
      return null;
  }
}

/**
 * `started` or `progress` of an attempt this worker holds, from the row read back after the
 * change committed. A quick attempt may be over by then: the row is shown as it was while the
 * attempt ran. Null when the attempt lost its lease (the change may not have applied).
 */
export function eventOfRunningAttempt(
  row: Row | null, event: 'started' | 'progress', attempt: number, workerId: string, progress?: Row['progress'],
): TaskChangeEvents | null {
  if (!row || row.workerIds?.[attempt - 1] !== workerId) return null;
  if (row.errors?.some((error) => error.attempt === attempt && error.name === LOST)) return null;
  const current = row.status === TaskResultStatus.RUNNING && row.workerIds.length === attempt;
  const running: Row = current ? { ...row } : {
    ...row,
    status: TaskResultStatus.RUNNING,
    workerIds: row.workerIds.slice(0, attempt),
    errors: row.errors?.filter((error) => error.attempt < attempt),
    claimedBy: workerId,
    finishedAt: null,
    storedReturnValue: null,
  };
  if (progress !== undefined) running.progress = progress;
  return { events: [event], row: running };
}

/** Which events a lease rescue made, from the row read back after it committed. */
export function eventsOfRescue(row: Row | null): TaskChangeEvents | null {
  const lost = row?.errors?.filter((error) => error.name === LOST).at(-1);
  if (!row || !lost) return null;
  const attempts = row.workerIds?.length ?? 0;
  if (attempts > lost.attempt) return { events: ['rescued', 'retrying'], row: asLeftBy(row, lost.attempt, TaskResultStatus.READY) };
  switch (row.status) {
    case TaskResultStatus.READY:
      return { events: ['rescued', 'retrying'], row };
    case TaskResultStatus.FAILED:
      return { events: ['rescued', 'failed', 'finished'], row };
    case TaskResultStatus.CANCELLED:
      return { events: ['rescued', 'cancelled', 'finished'], row };
    default:
      return null;
  }
}

function finished(event: TaskEventName, row: Row): TaskChangeEvents {
  return { events: [event, 'finished'], row };
}

/** The row as a change at `attempt` left it, before later attempts. */
function asLeftBy(row: Row, attempt: number, status: TaskResultStatus): Row {
  return {
    ...row,
    status,
    workerIds: row.workerIds?.slice(0, attempt),
    errors: row.errors?.filter((error) => error.attempt <= attempt),
    claimedBy: null,
    leaseExpiresAt: null,
    finishedAt: null,
    storedReturnValue: null,
    cancelRequested: false,
  };
}

function sameError(a: TaskError, b: TaskError): boolean {
  return a.attempt === b.attempt && a.name === b.name && a.message === b.message;
}
