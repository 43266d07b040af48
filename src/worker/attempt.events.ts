import type { Logger } from '@nestjs/common';
import type { ClaimedTask } from '../dialects/task-dialect.interface';
import type { TaskChange } from '../core/task.transitions';
import { TaskResultStatus } from '../task-result-status.enum';
import { TaskResult } from '../entities/task-result.entity';
import { bindTaskResult } from '../entities/task-result.source';
import type { WorkerStore } from '../interfaces/worker-store.interface';
import type { TaskEventBus } from '../events/task-event.bus';
import {
  eventOfRunningAttempt, eventsOfOutcome, eventsOfRescue, OUTCOME_EVENTS, RESCUE_EVENTS, TaskChangeEvents, WrittenOutcome,
} from '../events/task-change.events';

/**
 * The `@OnTaskEvent()` events of the changes a worker makes: attempts started, progress, outcomes
 * and rescues. Each is announced after its write committed, from the row read back then; with
 * nobody listening, nothing is read. Nothing here is awaited by the loop.
 */
export class AttemptEvents {
  /** Announcements of one task are read and emitted in the order of its changes. */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly bus: TaskEventBus,
    private readonly store: WorkerStore,
    private readonly workerId: string,
    private readonly logger: Logger,
  ) {}

  started(task: ClaimedTask): void {
    if (!this.bus.wants('started', task.taskName)) return;
    void this.announce(task.id, (row) => eventOfRunningAttempt(row, 'started', task.attempt, this.workerId));
  }

  /** `progress` (its JSON) was recorded for `task`. */
  progress(task: ClaimedTask, progress: string): void {
    if (!this.bus.wants('progress', task.taskName)) return;
    void this.announce(task.id, (row) => eventOfRunningAttempt(row, 'progress', task.attempt, this.workerId, JSON.parse(progress)));
  }

  /** `change` of `task` has been written. */
  written(task: ClaimedTask, change: TaskChange): void {
    if (!this.bus.wantsAny(OUTCOME_EVENTS, task.taskName)) return;
    const written = writtenOutcome(change);
    void this.announce(task.id, (row) => eventsOfOutcome(row, written));
  }

  rescued(ids: readonly string[]): void {
    if (!this.bus.wantsAnyTask(RESCUE_EVENTS)) return;
    for (const id of ids) void this.announce(id, eventsOfRescue);
  }

  private announce(id: string, judge: (row: Partial<TaskResult> | null) => TaskChangeEvents | null): Promise<void> {
    const next = (this.queues.get(id) ?? Promise.resolve()).then(() => this.readAndEmit(id, judge));
    this.queues.set(id, next);
    void next.then(() => {
      if (this.queues.get(id) === next) this.queues.delete(id);
    });
    return next;
  }

  private async readAndEmit(id: string, judge: (row: Partial<TaskResult> | null) => TaskChangeEvents | null): Promise<void> {
    try {
      const change = judge(await this.store.dialect.find(id));
      if (!change) return;
      const result = bindTaskResult(Object.assign(new TaskResult(), change.row), this.store);
      for (const event of change.events) if (this.bus.wants(event, result.taskName)) this.bus.emit(event, result);
    } catch (error) {
      this.logger.warn(`Could not read task ${id} to announce its change: ${(error as Error).message}`);
    }
  }
}

/** The kind of outcome a decided change is, as the events judge it. */
function writtenOutcome(change: TaskChange): WrittenOutcome {
  const { attempt } = change.ref;
  switch (change.status) {
    case TaskResultStatus.SUCCESSFUL:
      return { kind: 'succeeded', attempt };
    case TaskResultStatus.CANCELLED:
      return { kind: 'cancelled', attempt };
    case TaskResultStatus.READY:
      return change.uncharge ? { kind: 'released', attempt } : { kind: 'failed', attempt, error: change.error ?? undefined, retry: true };
    default:
      return { kind: 'failed', attempt, error: change.error ?? undefined, retry: false };
  }
}
