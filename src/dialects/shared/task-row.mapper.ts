import type { TaskRow } from '../../core/task-row';
import type { ClaimedTask } from '../task-dialect.interface';
import { readStoredReturnValue } from '../../serialization/stored-return-value';

/** Column name → entity property, for rows read with plain SQL. */
const PROPERTIES: Record<string, keyof TaskRow> = {
  id: 'id',
  task_name: 'taskName',
  status: 'status',
  queue_name: 'queueName',
  priority: 'priority',
  args: 'args',
  kwargs: 'kwargs',
  backend: 'backend',
  run_after: 'runAfter',
  enqueued_at: 'enqueuedAt',
  started_at: 'startedAt',
  finished_at: 'finishedAt',
  last_attempted_at: 'lastAttemptedAt',
  max_attempts: 'maxAttempts',
  errors: 'errors',
  worker_ids: 'workerIds',
  progress: 'progress',
  return_value: 'storedReturnValue',
  claimed_by: 'claimedBy',
  lease_expires_at: 'leaseExpiresAt',
  cancel_requested: 'cancelRequested',
  scheduled_at: 'scheduledAt',
  group_id: 'groupId',
  metadata: 'metadata',
  unique_key: 'uniqueKey',
};
const JSON_COLUMNS = new Set(['args', 'kwargs', 'errors', 'worker_ids', 'progress', 'metadata']);
const DATE_COLUMNS = new Set(['run_after', 'enqueued_at', 'started_at', 'finished_at', 'last_attempted_at', 'lease_expires_at', 'scheduled_at']);

/** Drivers differ: SQLite and MariaDB hand JSON back as text, PostgreSQL and MySQL as values. */
export function parseJsonColumn(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value;
}

/** SQLite stores `YYYY-MM-DD HH:MM:SS.SSS` in UTC, as TypeORM does. */
export function toSqliteDate(date: Date | number): string {
  return toUtcDateTime(date);
}

/**
 * `YYYY-MM-DD HH:MM:SS.SSS` in UTC, for a DATETIME(3) column: formatted here rather than by the
 * driver, which would use the process's time zone.
 */
export function toUtcDateTime(date: Date | number): string {
  return new Date(date).toISOString().slice(0, 23).replace('T', ' ');
}

/**
 * `format`, remembering the last Date it formatted: the rows of one enqueueMany share their Date
 * objects, so a batch formats each once.
 */
export function dateFormatter(format: (date: Date) => string): (date: Date) => string {
  let lastDate: Date | undefined;
  let lastText = '';
  return (date) => {
    if (date !== lastDate) [lastDate, lastText] = [date, format(date)];
    return lastText;
  };
}

export function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  if (typeof value === 'string') return new Date(value.includes('T') ? value : `${value.replace(' ', 'T')}Z`);
  return new Date(value as number);
}

/** A raw row (snake_case columns) as entity properties, for `refresh()` and `getResult()`. */
export function mapTaskRow(row: Record<string, unknown>): Partial<TaskRow> {
  const result: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) {
    const property = PROPERTIES[column];
    if (!property) continue;
    if (JSON_COLUMNS.has(column)) {
      try {
        result[property] = parseJsonColumn(value);
      } catch {
        // A corrupt column must not make the row unreadable: show the raw text instead.
        result[property] = value;
      }
    } else if (column === 'return_value') {
      try {
        result[property] = readStoredReturnValue(value);
      } catch {
        result[property] = value;
      }
    } else if (DATE_COLUMNS.has(column)) result[property] = toDate(value);
    else if (column === 'cancel_requested') result[property] = Boolean(value);
    else if (column === 'priority' || column === 'max_attempts') result[property] = Number(value);
    else result[property] = value;
  }
  return result as Partial<TaskRow>;
}

/**
 * A claimed row (columns id, task_name, queue_name, priority, args, kwargs, attempt,
 * max_attempts) as the worker runs it. `attemptOffset` 1: the row was read before its update.
 */
export function toClaimedTask(row: Record<string, unknown>, attemptOffset = 0): ClaimedTask {
  return {
    id: row.id as string,
    taskName: row.task_name as string,
    queueName: row.queue_name as string,
    priority: Number(row.priority),
    args: row.args,
    kwargs: row.kwargs,
    attempt: Number(row.attempt) + attemptOffset,
    maxAttempts: Number(row.max_attempts),
    scheduledAt: row.scheduled_at ?? null,
    runAfter: row.run_after ?? null,
    traceContext: (row.trace_context as string | null | undefined) ?? null,
    claimedAt: row.claimed_at ?? null,
    hasDependents: Boolean(Number(row.has_dependents ?? 0)),
  };
}

/** priority DESC, run_after, id: the claim order, for rows merged from several index ranges or RETURNING. */
export function claimOrder(a: Record<string, unknown>, b: Record<string, unknown>): number {
  const byPriority = Number(b.priority) - Number(a.priority);
  if (byPriority !== 0) return byPriority;
  const x = a.run_after;
  const y = b.run_after;
  if (x instanceof Date && y instanceof Date) {
    const byTime = x.getTime() - y.getTime();
    if (byTime !== 0) return byTime;
  } else {
    // Fixed-width UTC texts: code-point order is time order, as the database's own compares them
    // (localeCompare, with ICU, cost as much as the rest of a 100-row claim's handling).
    const p = String(x);
    const q = String(y);
    if (p !== q) return p < q ? -1 : 1;
  }
  return (a.id as string) < (b.id as string) ? -1 : 1;
}
