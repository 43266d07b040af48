import { TaskResult } from '../entities/task-result.entity';
import { bindTaskResult, TaskResultSource } from '../entities/task-result.source';
import type { NewTaskRow } from '../dialects/task-dialect.interface';
import { TaskResultStatus } from '../task-result-status.enum';
import { resolveTime } from '../core/task-time';

/**
 * The entity of a just-inserted row, built in memory: enqueue never reads back what it wrote.
 * Its enqueuedAt (and a `delay`'s runAfter) are this process's estimate; refresh() reads the
 * database's.
 */
export function newTaskResult(row: NewTaskRow, source: TaskResultSource): TaskResult {
  const result = new TaskResult();
  Object.assign(result, {
    id: row.id,
    taskName: row.taskName,
    status: row.waiting ? TaskResultStatus.WAITING : TaskResultStatus.READY,
    queueName: row.queueName,
    priority: row.priority,
    args: row.values.args,
    kwargs: row.values.kwargs,
    backend: row.backend,
    runAfter: resolveTime(row.runAfter, row.enqueuedAt),
    enqueuedAt: row.enqueuedAt,
    startedAt: null,
    finishedAt: null,
    lastAttemptedAt: null,
    maxAttempts: row.maxAttempts,
    errors: [],
    workerIds: [],
    progress: null,
    storedReturnValue: null,
    claimedBy: null,
    leaseExpiresAt: null,
    cancelRequested: false,
    scheduledAt: row.scheduledAt ?? null,
    groupId: row.groupId ?? null,
    metadata: row.metadata ?? null,
    uniqueKey: row.uniqueKey ?? null,
  } satisfies Partial<TaskResult>);
  return bindTaskResult(result, source);
}
