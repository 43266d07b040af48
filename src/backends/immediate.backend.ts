import type { TaskResult } from '../entities/task-result.entity';
import type { NewTaskRow, NewWorkflowTask } from '../dialects/task-dialect.interface';
import { TaskResultStatus } from '../task-result-status.enum';
import { TaskEvents } from '../task.events';
import type { TaskEventBus } from '../events/task-event.bus';
import { TaskExecutor } from '../execution/task.executor';
import { AttemptStop } from '../execution/attempt-stop';
import { applyChange, applyClaim, cancelled, claimed, failed, requeued, succeeded, TaskChange } from '../core/task.transitions';
import { MemoryBackend } from './memory.backend';

const IMMEDIATE_WORKER_ID = 'immediate';
const FINAL_EVENTS = {
  [TaskResultStatus.SUCCESSFUL]: 'succeeded',
  [TaskResultStatus.FAILED]: 'failed',
  [TaskResultStatus.CANCELLED]: 'cancelled',
} as const;

/**
 * `backend: 'immediate'`: runs each task inside `enqueue`, in the caller's process, and keeps the
 * outcome in memory. It applies the worker's transitions (core/task.transitions) to the row in
 * memory; failed attempts are retried at once, up to `maxAttempts`, without waiting a backoff.
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

  /** Runs the workflow inside the call, each task once its dependencies let it: in dependency order. */
  override async enqueueWorkflow(tasks: NewWorkflowTask[]): Promise<TaskResult[]> {
    const results = await super.enqueueWorkflow(tasks);
    for (const result of results) if (result.status === TaskResultStatus.READY) await this.run(result);
    return results;
  }

  private async run(result: TaskResult): Promise<void> {
    while (result.status === TaskResultStatus.READY) {
      applyClaim(result, claimed(IMMEDIATE_WORKER_ID, 0), new Date());
      this.announce(result, 'started');
      const task = {
        id: result.id, taskName: result.taskName, queueName: result.queueName, priority: result.priority,
        args: result.args, kwargs: result.kwargs, attempt: result.workerIds.length, maxAttempts: result.maxAttempts,
        scheduledAt: result.scheduledAt,
      };
      const outcome = await this.executor.execute(task, new AttemptStop(), {
        workerId: IMMEDIATE_WORKER_ID,
        setProgress: async (_task, progress) => {
          result.progress = JSON.parse(progress);
          this.announce(result, 'progress');
        },
        taskResult: () => result,
      });
      let change: TaskChange;
      if (outcome.kind === 'succeeded') change = succeeded(task, outcome.returnValue);
      else if (outcome.kind === 'failed') change = failed(task, outcome.error, { retryable: outcome.retryable, backoff: 0 });
      else if (outcome.kind === 'requeued') change = requeued(task, outcome.delayMs);
      else change = cancelled(task);
      applyChange(result, IMMEDIATE_WORKER_ID, change, new Date());
      if (result.status === TaskResultStatus.READY) this.announce(result, 'retrying');
    }
    if (result.status === TaskResultStatus.WAITING) return;
    this.events.changed(result.id);
    this.announce(result, FINAL_EVENTS[result.status as keyof typeof FINAL_EVENTS], 'finished');
    for (const released of this.settle(result)) await this.run(released);
  }
}
