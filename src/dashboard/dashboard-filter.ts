import { BadRequestException } from '@nestjs/common';
import { TaskResultStatus } from '../task-result-status.enum';
import type { TaskFilter } from '../operations/task-filter';

/** Which tasks a list or a bulk action covers: every given criterion must match. */
export interface DashboardTaskFilter {
  statuses?: TaskResultStatus[];
  queueName?: string;
  taskName?: string;
  groupId?: string;
  /** Text found in the JSON of args, kwargs or metadata. */
  text?: string;
  enqueuedAfter?: Date;
  enqueuedBefore?: Date;
  finishedBefore?: Date;
}

export interface DashboardPage {
  limit: number;
  /** The id of the last task of the previous page; tasks come newest first (UUIDv7 order). */
  cursor?: string;
}

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;
const STATUSES = new Set<string>(Object.values(TaskResultStatus));
const FILTER_KEYS = ['status', 'queue', 'task', 'group', 'q', 'since', 'until', 'finishedBefore'];
const ID = /^[A-Za-z0-9-]{1,36}$/;

type Query = Record<string, unknown>;

/** The filter of `GET tasks` and of bulk actions; 400 for anything malformed or unknown. */
export function parseTaskFilter(query: Query, allowed: readonly string[] = []): DashboardTaskFilter {
  for (const key of Object.keys(query)) {
    if (!FILTER_KEYS.includes(key) && !allowed.includes(key)) {
      throw new BadRequestException(`Unknown filter "${key}"; filters are ${FILTER_KEYS.join(', ')}.`);
    }
  }
  const filter: DashboardTaskFilter = {};
  const status = text(query, 'status');
  if (status !== undefined) {
    const statuses = status.split(',').map((value) => value.trim().toUpperCase());
    for (const value of statuses) {
      if (!STATUSES.has(value)) throw new BadRequestException(`status must be among ${[...STATUSES].join(', ')}, got "${value}".`);
    }
    filter.statuses = statuses as TaskResultStatus[];
  }
  filter.queueName = text(query, 'queue');
  filter.taskName = text(query, 'task');
  const group = text(query, 'group');
  if (group !== undefined && !ID.test(group)) throw new BadRequestException(`group must be a group or chain id, got "${group}".`);
  filter.groupId = group;
  filter.text = text(query, 'q');
  filter.enqueuedAfter = date(query, 'since');
  filter.enqueuedBefore = date(query, 'until');
  filter.finishedBefore = date(query, 'finishedBefore');
  for (const key of Object.keys(filter) as (keyof DashboardTaskFilter)[]) if (filter[key] === undefined) delete filter[key];
  return filter;
}

/** `limit` (1–500, default 50) and `cursor` of `GET tasks`. */
export function parsePage(query: Query): DashboardPage {
  const limitText = text(query, 'limit');
  const limit = limitText === undefined ? DEFAULT_LIMIT : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new BadRequestException(`limit must be an integer from 1 to ${MAX_LIMIT}, got "${limitText}".`);
  }
  const cursor = text(query, 'cursor');
  if (cursor !== undefined && !ID.test(cursor)) throw new BadRequestException(`cursor must be a task id, got "${cursor}".`);
  return { limit, cursor };
}

/** Whether `filter` narrows anything: a bulk action over no filter at all is refused. */
export function isEmptyFilter(filter: DashboardTaskFilter): boolean {
  return Object.keys(filter).length === 0;
}

function text(query: Query, key: string): string | undefined {
  const value = query[key];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new BadRequestException(`${key} must be given once, as text.`);
  if (value.length > 1000) throw new BadRequestException(`${key} is longer than 1000 characters.`);
  return value;
}

function date(query: Query, key: string): Date | undefined {
  const value = query[key];
  if (value === undefined || value === '') return undefined;
  const parsed = typeof value === 'string' ? new Date(value) : new Date(NaN);
  if (Number.isNaN(parsed.getTime()) || parsed.getUTCFullYear() < 1 || parsed.getUTCFullYear() > 9999) {
    throw new BadRequestException(`${key} must be an ISO 8601 time such as 2026-01-31T12:00:00Z, got ${JSON.stringify(value)}.`);
  }
  return parsed;
}

/** Filters a bulk action takes: those `TaskService.retryMany()` and its siblings take. */
const BULK_KEYS = ['status', 'queue', 'task', 'finishedBefore'];

/**
 * The filter of a bulk action, from its JSON body (`{ status, queue, task, finishedBefore }`):
 * 400 for anything malformed, for other filters, and for no filter at all (a bulk action over
 * everything is refused rather than guessed).
 */
export function parseBulkFilter(body: unknown): TaskFilter {
  if (body === undefined || body === null || body === '') body = {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new BadRequestException('A bulk action takes a JSON object of filters.');
  const query = body as Query;
  for (const key of Object.keys(query)) {
    if (!BULK_KEYS.includes(key)) throw new BadRequestException(`A bulk action filters by ${BULK_KEYS.join(', ')} only; not by "${key}".`);
  }
  const filter = parseTaskFilter(query);
  if (isEmptyFilter(filter)) {
    throw new BadRequestException(`A bulk action needs a filter (${BULK_KEYS.join(', ')}): it never acts on every task at once.`);
  }
  return {
    ...(filter.statuses ? { status: filter.statuses } : {}),
    ...(filter.queueName !== undefined ? { queueName: filter.queueName } : {}),
    ...(filter.taskName !== undefined ? { taskName: filter.taskName } : {}),
    ...(filter.finishedBefore ? { finishedBefore: filter.finishedBefore } : {}),
  };
}
