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
  // Assigned one by one, always in this order: enqueueMany builds thousands of these, and
  // Object.assign of a literal costs several times more per instance.
  const result = new TaskResult();
  result.id = row.id;
  result.taskName = row.taskName;
  result.status = row.waiting ? TaskResultStatus.WAITING : TaskResultStatus.READY;
  result.queueName = row.queueName;
  result.priority = row.priority;
  result.args = row.values.args;
  result.kwargs = row.values.kwargs;
  result.backend = row.backend;
  result.runAfter = resolveTime(row.runAfter, row.enqueuedAt);
  result.enqueuedAt = row.enqueuedAt;
  result.startedAt = null;
  result.finishedAt = null;
  result.lastAttemptedAt = null;
  result.maxAttempts = row.maxAttempts;
  result.errors = [];
  result.workerIds = [];
  result.progress = null;
  result.storedReturnValue = null;
  result.claimedBy = null;
  result.leaseExpiresAt = null;
  result.cancelRequested = false;
  result.scheduledAt = row.scheduledAt ?? null;
  result.groupId = row.groupId ?? null;
  result.metadata = row.metadata ?? null;
  result.uniqueKey = row.uniqueKey ?? null;
  return bindTaskResult(result, source);
}
