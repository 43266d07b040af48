import { Column, Entity, PrimaryColumn } from 'typeorm';
import { TaskResultStatus, FINISHED_STATUSES } from '../task-result-status.enum';
import type { TaskError } from '../interfaces/task-error.interface';
import {
  TaskCancelledError,
  TaskFailedError,
  TaskNotFinishedError,
  TaskResultNotFoundError,
  TaskWaitTimeoutError,
  TasksError,
} from '../task.errors';
import { getTaskResultSource, TaskResultSource } from './task-result.source';
import { storedReturnValueTransformer } from '../serialization/stored-return-value';
import type { TaskProgress, TaskRow } from '../core/task-row';

export type { TaskProgress };

export interface WaitOptions {
  /** Milliseconds before `TaskWaitTimeoutError`; default 30 000. */
  timeout?: number;
  /** First delay between polls; default 50 ms, growing ×1.5. */
  pollInterval?: number;
  /** Longest delay between polls; default 500 ms. */
  maxPollInterval?: number;
}

/**
 * One enqueued task and everything that happened to it. The table is created by
 * `TASKS_MIGRATIONS` (so the entity opts out of `synchronize`, whose column types could not
 * match all three databases); query it with your own repositories like any other entity.
 */
@Entity({ name: 'task_results', synchronize: false })
export class TaskResult<R = unknown> implements TaskRow<R> {
  /** UUIDv7: sorts by creation time. */
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'task_name', type: 'varchar', length: 255 })
  taskName!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: TaskResultStatus;

  @Column({ name: 'queue_name', type: 'varchar', length: 255 })
  queueName!: string;

  @Column({ type: 'int' })
  priority!: number;

  @Column({ type: 'json' })
  args!: unknown[];

  @Column({ type: 'json' })
  kwargs!: Record<string, unknown>;

  /** Backend that stored the task: `database`, `immediate` or `dummy`. */
  @Column({ type: 'varchar', length: 32 })
  backend!: string;

  /** Earliest time the task may start; the enqueue time unless `runAfter` was given or a retry was scheduled. */
  @Column({ name: 'run_after', type: Date })
  runAfter!: Date;

  @Column({ name: 'enqueued_at', type: Date })
  enqueuedAt!: Date;

  /** When the first attempt started. */
  @Column({ name: 'started_at', type: Date, nullable: true })
  startedAt!: Date | null;

  @Column({ name: 'finished_at', type: Date, nullable: true })
  finishedAt!: Date | null;

  @Column({ name: 'last_attempted_at', type: Date, nullable: true })
  lastAttemptedAt!: Date | null;

  @Column({ name: 'max_attempts', type: 'int' })
  maxAttempts!: number;

  /** One per failed attempt, oldest first. */
  @Column({ type: 'json' })
  errors!: TaskError[];

  /** Id of the worker that ran each attempt, in order. */
  @Column({ name: 'worker_ids', type: 'json' })
  workerIds!: string[];

  @Column({ type: 'json', nullable: true })
  progress!: TaskProgress | null;

  /** The stored return value, whatever the status; prefer `returnValue`, which checks the status. */
  @Column({ name: 'return_value', type: 'json', nullable: true, transformer: storedReturnValueTransformer })
  storedReturnValue!: R | null;

  /** Worker holding the current lease, while RUNNING. */
  @Column({ name: 'claimed_by', type: 'varchar', length: 255, nullable: true })
  claimedBy!: string | null;

  @Column({ name: 'lease_expires_at', type: Date, nullable: true })
  leaseExpiresAt!: Date | null;

  @Column({ name: 'cancel_requested', type: Boolean })
  cancelRequested!: boolean;

  /** The tick of a periodic task's run (see `TaskService.schedule()`), else null. */
  @Column({ name: 'scheduled_at', type: Date, nullable: true })
  scheduledAt!: Date | null;

  /** The group or chain this task belongs to (see `TaskService.group()` / `chain()`). */
  @Column({ name: 'group_id', type: 'varchar', length: 36, nullable: true })
  groupId!: string | null;

  /** The enqueue option `metadata`: a JSON object of your own, stored on the row and queryable. */
  @Column({ type: 'json', nullable: true })
  metadata!: Record<string, unknown> | null;

  /** The enqueue option `key`: held while the task is READY or WAITING (see the README's unique tasks). */
  @Column({ name: 'unique_key', type: 'varchar', length: 255, nullable: true })
  uniqueKey!: string | null;

  /**
   * Not a column: true on what an enqueue returned when it found a pending task holding its key
   * (or a throttled enqueue's accepted task) instead of storing a new one.
   */
  deduplicated = false;

  /** The return value of a SUCCESSFUL task; throws for any other status. */
  get returnValue(): R {
    switch (this.status) {
      case TaskResultStatus.SUCCESSFUL:
        return this.storedReturnValue as R;
      case TaskResultStatus.FAILED:
        throw new TaskFailedError(this.id, this.errors?.[this.errors.length - 1]);
      case TaskResultStatus.CANCELLED:
        throw new TaskCancelledError(this.id);
      default:
        throw new TaskNotFinishedError(this.id, this.status);
    }
  }

  get isFinished(): boolean {
    return FINISHED_STATUSES.includes(this.status);
  }

  /** Attempts started so far. */
  get attempts(): number {
    return this.workerIds?.length ?? 0;
  }

  /** Milliseconds the last attempt took (null until it finished one). */
  get duration(): number | null {
    if (!this.finishedAt || !this.lastAttemptedAt) return null;
    return new Date(this.finishedAt).getTime() - new Date(this.lastAttemptedAt).getTime();
  }

  /** Ids of the tasks this one depends on, in `dependsOn` order. */
  dependencyIds(): Promise<string[]> {
    return this.source().dependencyIds(this.id);
  }

  /** Ids of the tasks that depend on this one. */
  dependentIds(): Promise<string[]> {
    return this.source().dependentIds(this.id);
  }

  /** Deletes this result if it is finished; false if it is not (it is left alone). */
  forget(): Promise<boolean> {
    return this.source().forget(this.id);
  }

  /** A plain object of the columns, for HTTP responses (dates as ISO text, the return value as `returnValue`). */
  toJSON(): Record<string, unknown> {
    const iso = (date: Date | null) => (date ? new Date(date).toISOString() : null);
    return {
      id: this.id, taskName: this.taskName, status: this.status, queueName: this.queueName, priority: this.priority,
      args: this.args, kwargs: this.kwargs, backend: this.backend, runAfter: iso(this.runAfter), enqueuedAt: iso(this.enqueuedAt),
      startedAt: iso(this.startedAt), finishedAt: iso(this.finishedAt), lastAttemptedAt: iso(this.lastAttemptedAt),
      maxAttempts: this.maxAttempts, attempts: this.attempts, errors: this.errors, workerIds: this.workerIds, progress: this.progress,
      returnValue: this.status === TaskResultStatus.SUCCESSFUL ? this.storedReturnValue : null,
      groupId: this.groupId ?? null, metadata: this.metadata ?? null, uniqueKey: this.uniqueKey ?? null, duration: this.duration,
    };
  }

  /** Reloads every column from the database, in place. */
  async refresh(): Promise<this> {
    const row = await this.source().load(this.id);
    if (!row) throw new TaskResultNotFoundError(this.id);
    Object.assign(this, row);
    return this;
  }

  /** Resolves with the return value once the task finishes; throws if it fails, is cancelled or takes too long. */
  async wait(options: WaitOptions = {}): Promise<R> {
    const { timeout = 30_000, pollInterval = 50, maxPollInterval = 500 } = options;
    const source = this.source();
    const deadline = Date.now() + timeout;
    let delay = pollInterval;
    while (!this.isFinished) {
      // Listen before reading, so a change between the read and the wait is not missed.
      const stopListening = new AbortController();
      const changed = source.waitForChange(this.id, Math.max(0, Math.min(delay, deadline - Date.now())), stopListening.signal);
      try {
        await this.refresh();
        if (this.isFinished) break;
        if (Date.now() >= deadline) throw new TaskWaitTimeoutError(this.id, this.status, timeout);
        await changed;
      } finally {
        stopListening.abort();
      }
      delay = Math.min(delay * 1.5, maxPollInterval);
    }
    return this.returnValue;
  }

  private source(): TaskResultSource {
    const source = getTaskResultSource(this);
    if (!source) {
      throw new TasksError(
        'This TaskResult is not bound to a TasksModule: load it through a DataSource of an application that imports TasksModule.',
      );
    }
    return source;
  }
}
