import { TaskResultStatus } from '../task-result-status.enum';
import { InvalidTaskError } from '../task.errors';
import type { FilterShape } from '../dialects/operations-dialect.interface';

/** Which tasks a bulk action (or a listing) takes: every given field must match. */
export interface TaskFilter {
  /** One status or several; each bulk action takes only the statuses it can act on (and all of them when omitted). */
  status?: TaskResultStatus | readonly TaskResultStatus[];
  queueName?: string;
  taskName?: string;
  /** Tasks that finished before this instant (finished tasks only). */
  finishedBefore?: Date;
}

/** Options of the bulk actions. */
export interface BulkOptions {
  /** Rows per statement (default 1000). */
  batchSize?: number;
  /** Called after each batch with the number of tasks acted on so far. */
  onProgress?: (done: number) => void;
}

/** A filter checked and split into the statement's shape and its values, in FilterShape's order. */
export interface ResolvedFilter {
  shape: FilterShape;
  values: unknown[];
}

const ALL_STATUSES = Object.values(TaskResultStatus) as TaskResultStatus[];

/**
 * Checks `filter` for `where` (the method's name, for messages): statuses limited to `allowed`
 * (default: every one of them), strings non-empty, the date valid. Bad input is InvalidTaskError.
 */
export function resolveFilter(filter: TaskFilter | undefined, where: string, allowed: readonly TaskResultStatus[] = ALL_STATUSES,
  defaultStatuses: readonly TaskResultStatus[] = allowed): ResolvedFilter {
  if (filter === null || typeof filter !== 'object') throw new InvalidTaskError(`${where}: the filter must be an object.`);
  const known = new Set(['status', 'queueName', 'taskName', 'finishedBefore']);
  for (const key of Object.keys(filter)) {
    if (!known.has(key)) throw new InvalidTaskError(`${where}: unknown filter field "${key}" (status, queueName, taskName, finishedBefore).`);
  }
  const given = filter.status === undefined ? defaultStatuses : ([] as TaskResultStatus[]).concat(filter.status as TaskResultStatus[]);
  for (const status of given) {
    if (!ALL_STATUSES.includes(status)) throw new InvalidTaskError(`${where}: ${String(status)} is not a task status.`);
    if (!allowed.includes(status)) throw new InvalidTaskError(`${where} takes tasks that are ${allowed.join(', ')}; not ${status}.`);
  }
  if (given.length === 0) throw new InvalidTaskError(`${where}: status must name at least one status.`);
  const values: unknown[] = [];
  for (const field of ['queueName', 'taskName'] as const) {
    const value = filter[field];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value === '') throw new InvalidTaskError(`${where}: ${field} must be a non-empty string.`);
    values.push(value);
  }
  if (filter.finishedBefore !== undefined) {
    if (!(filter.finishedBefore instanceof Date) || Number.isNaN(filter.finishedBefore.getTime())) {
      throw new InvalidTaskError(`${where}: finishedBefore must be a valid Date.`);
    }
    values.push(filter.finishedBefore);
  }
  return {
    // Every status given, or none at all when they are all allowed and none was asked for.
    shape: {
      statuses: filter.status === undefined && defaultStatuses.length === ALL_STATUSES.length ? [] : [...new Set(given)],
      queueName: filter.queueName !== undefined,
      taskName: filter.taskName !== undefined,
      finishedBefore: filter.finishedBefore !== undefined,
    },
    values,
  };
}

/** A positive integer batch size, default 1000. */
export function batchSize(options: BulkOptions | undefined, where: string): number {
  const size = options?.batchSize ?? 1000;
  if (!Number.isSafeInteger(size) || size < 1) throw new InvalidTaskError(`${where}: batchSize must be a positive integer, got ${String(size)}.`);
  return size;
}
