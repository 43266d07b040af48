import type { TaskResult } from '../entities/task-result.entity';
import type { NewTaskRow } from '../dialects/task-dialect.interface';
import { TaskResultStatus } from '../task-result-status.enum';
import { TaskEvents } from '../task.events';
import { TaskExecutor } from '../worker/task.executor';
import { MemoryBackend } from './memory.backend';

const IMMEDIATE_WORKER_ID = 'immediate';

/**
 * `backend: 'immediate'`: runs each task inside `enqueue`, in the caller's process, and keeps the
 * outcome in memory. Failed attempts are retried at once, up to `maxAttempts`, without backoff.
 */
export class ImmediateBackend extends MemoryBackend {
  readonly name = 'immediate' as const;

  constructor(events: TaskEvents, private readonly executor: TaskExecutor) {
    super(events);
  }

  override async enqueue(rows: NewTaskRow[]): Promise<TaskResult[]> {
    const results = await super.enqueue(rows);
    for (const result of results) await this.run(result);
    return results;
  }

  private async run(result: TaskResult): Promise<void> {
    while (result.status === TaskResultStatus.READY) {
      const attempt = result.workerIds.length + 1;
      const now = new Date();
      result.status = TaskResultStatus.RUNNING;
      result.startedAt ??= now;
      result.lastAttemptedAt = now;
      result.workerIds = [...result.workerIds, IMMEDIATE_WORKER_ID];
      const outcome = await this.executor.execute(
        { id: result.id, taskName: result.taskName, queueName: result.queueName, priority: result.priority,
          args: result.args, kwargs: result.kwargs, attempt, maxAttempts: result.maxAttempts },
        {
          workerId: IMMEDIATE_WORKER_ID,
          controller: new AbortController(),
          setProgress: async (progress) => {
            result.progress = JSON.parse(progress);
          },
          taskResult: () => result,
        },
      );
      if (outcome.kind === 'succeeded') {
        result.status = TaskResultStatus.SUCCESSFUL;
        result.storedReturnValue = JSON.parse(outcome.returnValue);
      } else if (outcome.kind === 'failed') {
        result.errors = [...result.errors, outcome.error];
        result.status = outcome.retryable && attempt < result.maxAttempts ? TaskResultStatus.READY : TaskResultStatus.FAILED;
      } else {
        result.status = TaskResultStatus.CANCELLED;
      }
    }
    result.finishedAt = new Date();
    this.events.changed(result.id);
  }
}
