import type { TaskResult } from '../entities/task-result.entity';

/** A task as a row of the list: everything but the payloads, whose start is given as text. */
export interface DashboardTaskSummary {
  id: string;
  taskName: string;
  status: string;
  queueName: string;
  priority: number;
  enqueuedAt: string | null;
  /** Earliest time it may start (a READY task with this in the future waits for its time). */
  runAfter: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  attempts: number;
  maxAttempts: number;
  progress: TaskResult['progress'];
  groupId: string | null;
  /** The message of the last recorded error, if any. */
  lastError: string | null;
  /** The start of the JSON of args (and kwargs, when any). */
  argsPreview: string;
}

/** Everything stored about a task, with its dependencies and dependents as rows of the list. */
export type DashboardTaskDetail = Record<string, unknown> & {
  claimedBy: string | null;
  leaseExpiresAt: string | null;
  scheduledAt: string | null;
  cancelRequested: boolean;
  dependencies: DashboardTaskSummary[];
  dependents: DashboardTaskSummary[];
};

const PREVIEW_LENGTH = 160;

export function summarize(result: TaskResult): DashboardTaskSummary {
  const kwargs = result.kwargs && Object.keys(result.kwargs).length > 0 ? ` ${JSON.stringify(result.kwargs)}` : '';
  const preview = JSON.stringify(result.args) + kwargs;
  return {
    id: result.id,
    taskName: result.taskName,
    status: result.status,
    queueName: result.queueName,
    priority: result.priority,
    enqueuedAt: iso(result.enqueuedAt),
    runAfter: iso(result.runAfter),
    startedAt: iso(result.startedAt),
    finishedAt: iso(result.finishedAt),
    attempts: result.attempts,
    maxAttempts: result.maxAttempts,
    progress: result.progress ?? null,
    groupId: result.groupId ?? null,
    lastError: result.errors?.length ? `${result.errors[result.errors.length - 1].name}: ${result.errors[result.errors.length - 1].message}` : null,
    argsPreview: preview.length > PREVIEW_LENGTH ? `${preview.slice(0, PREVIEW_LENGTH - 1)}…` : preview,
  };
}

export function detail(result: TaskResult, dependencies: TaskResult[], dependents: TaskResult[]): DashboardTaskDetail {
  return {
    ...result.toJSON(),
    claimedBy: result.claimedBy ?? null,
    leaseExpiresAt: iso(result.leaseExpiresAt),
    scheduledAt: iso(result.scheduledAt),
    cancelRequested: Boolean(result.cancelRequested),
    dependencies: dependencies.map(summarize),
    dependents: dependents.map(summarize),
  };
}

export function iso(date: Date | string | null | undefined): string | null {
  return date ? new Date(date).toISOString() : null;
}
