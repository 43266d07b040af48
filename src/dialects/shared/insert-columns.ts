import { isRelative } from '../../core/task-time';
import type { NewTaskRow } from '../task-dialect.interface';

/**
 * The columns every dialect's `insert` writes, in this order; `run_after` and `enqueued_at` are
 * computed by the statement from the last two values (see insertValues) with the database's clock.
 */
export const INSERT_COLUMNS =
  'id, task_name, status, queue_name, priority, args, kwargs, backend, run_after, enqueued_at, max_attempts, attempt, errors, worker_ids, cancel_requested, trace_context';

/** The values of one row: id, task_name, queue_name, priority, args, kwargs, backend, run_at, delay_ms, max_attempts, trace_context. */
export function insertValues(row: NewTaskRow, formatDate: (date: Date) => unknown): unknown[] {
  const [at, delay] = runAfterParams(row);
  return [row.id, row.taskName, row.queueName, row.priority, row.args, row.kwargs, row.backend,
    at === null ? null : formatDate(at), delay, row.maxAttempts, row.traceContext ?? null];
}

/** `[at, null]` for an absolute time, `[null, ms]` for one relative to the database's now. */
export function runAfterParams(row: NewTaskRow): [Date | null, number | null] {
  return isRelative(row.runAfter) ? [null, row.runAfter.afterNow] : [row.runAfter.at, null];
}
