import type { TaskResult } from '../entities/task-result.entity';
import type { NewTaskRow } from '../dialects/task-dialect.interface';
import { TaskResultStatus } from '../task-result-status.enum';
import { TaskEvents } from '../task.events';
import type { TaskEventBus } from '../events/task-event.bus';
import { TaskExecutor } from '../execution/task.executor';
import { MemoryBackend } from './memory.backend';

const IMMEDIATE_WORKER_ID = 'immediate';
const FINAL_EVENTS = {
  [TaskResultStatus.SUCCESSFUL]: 'succeeded',
  [TaskResultStatus.FAILED]: 'failed',
  [TaskResultStatus.CANCELLED]: 'cancelled',
} as const;

/**
 * `backend: 'immediate'`: runs each task inside `enqueue`, in the caller's process, and keeps the
 * outcome in memory. Failed attempts are retried at once, up to `maxAttempts`, without backoff.
 */
export class ImmediateBackend extends MemoryBackend {
  readonly name = 'immediate' as const;

  constructor(events: TaskEvents, bus: TaskEventBus, private readonly executor: TaskExecutor) {
    super(events, bus);
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
      this.announce(result, 'started');
      const outcome = await this.executor.execute(
        { id: result.id, taskName: result.taskName, queueName: result.queueName, priority: result.priority,
          args: result.args, kwargs: result.kwargs, attempt, maxAttempts: result.maxAttempts },
        {
          workerId: IMMEDIATE_WORKER_ID,
          controller: new AbortController(),
          setProgress: async (progress) => {
            result.progress = JSON.parse(progress);
            this.announce(result, 'progress');
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
      if (result.status === TaskResultStatus.READY) this.announce(result, 'retrying');
    }
    result.finishedAt = new Date();
    this.events.changed(result.id);
    this.announce(result, FINAL_EVENTS[result.status as keyof typeof FINAL_EVENTS], 'finished');
  }
}
