import { TaskProgress, TaskResult, TaskResultStatus } from 'nestjs-tasks';

/** What `GET /tasks/:id` answers: the TaskResult's public columns, as JSON. */
export interface TaskResultView {
  id: string;
  taskName: string;
  status: TaskResultStatus;
  queueName: string;
  priority: number;
  args: unknown[];
  enqueuedAt: Date;
  runAfter: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  attempts: number;
  maxAttempts: number;
  workerIds: string[];
  /** One per failed attempt; the tracebacks stay in the database. */
  errors: { name: string; message: string; attempt: number; failedAt: string }[];
  progress: TaskProgress | null;
  /** Only once the task is SUCCESSFUL. */
  returnValue?: unknown;
}

export function toTaskResultView(result: TaskResult): TaskResultView {
  return {
    id: result.id,
    taskName: result.taskName,
    status: result.status,
    queueName: result.queueName,
    priority: result.priority,
    args: result.args,
    enqueuedAt: result.enqueuedAt,
    runAfter: result.runAfter,
    startedAt: result.startedAt,
    finishedAt: result.finishedAt,
    attempts: result.attempts,
    maxAttempts: result.maxAttempts,
    workerIds: result.workerIds,
    errors: result.errors.map(({ name, message, attempt, failedAt }) => ({ name, message, attempt, failedAt })),
    progress: result.progress,
    // returnValue throws for any status but SUCCESSFUL.
    ...(result.status === TaskResultStatus.SUCCESSFUL ? { returnValue: result.returnValue } : {}),
  };
}
