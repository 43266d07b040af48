import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { TASK_BACKEND, TASKS_MODULE_OPTIONS } from '../tasks.constants';
import type { TasksModuleOptions } from '../interfaces/tasks-module-options.interface';
import type { WorkerOptions } from '../interfaces/worker-options.interface';
import type { TaskBackend } from '../backends/task-backend.interface';
import { DatabaseBackend } from '../backends/database.backend';
import type { ClaimedTask, TaskDialect, TaskOutcome } from '../dialects/task-dialect.interface';
import { mapTaskRow } from '../dialects/task-row.mapper';
import { TaskResult } from '../entities/task-result.entity';
import { bindTaskResult, TaskResultSource } from '../entities/task-result.source';
import { TaskResultStatus } from '../task-result-status.enum';
import { TaskRegistry } from '../task.registry';
import { TaskEvents } from '../task.events';
import { TasksError } from '../task.errors';
import { TaskExecutor } from './task.executor';
import { AbortCause, AttemptAbort, AttemptResult } from './task-attempt';
import { OutcomeWriter } from './outcome.writer';
import { TaskLeaseRenewer, HeldAttempt } from './task-lease.renewer';
import { TaskLeaseReaper } from './task-lease.reaper';
import { nextAttemptAt } from './retry.policy';
import { ResolvedWorkerOptions, resolveWorkerOptions } from './worker-options';

export interface WorkerSummary {
  workerId: string;
  /** Tasks claimed by this run. */
  claimed: number;
  /** Why the run ended. */
  reason: 'stopped' | 'batch-drained' | 'max-tasks';
}

interface ActiveAttempt extends HeldAttempt {
  task: ClaimedTask;
  controller: AbortController;
}

const MAX_CLAIM_BACKOFF_MS = 30_000;
/** After the shutdown timeout, aborted attempts get this long to record their release. */
const RELEASE_GRACE_MS = 5_000;

/**
 * Claims due tasks, runs them with bounded concurrency and records their outcomes. One `run()`
 * at a time per application; `stop()` (or SIGTERM through `runWorker`) stops it gracefully.
 */
@Injectable()
export class TaskWorker implements BeforeApplicationShutdown {
  private readonly logger = new Logger('TaskWorker');
  private current?: WorkerRun;

  constructor(
    @Inject(TASK_BACKEND) private readonly backend: TaskBackend,
    private readonly executor: TaskExecutor,
    private readonly registry: TaskRegistry,
    private readonly events: TaskEvents,
    @Inject(TASKS_MODULE_OPTIONS) private readonly moduleOptions: TasksModuleOptions,
  ) {}

  /** Runs until `stop()`, or until the batch is drained or `maxTasks` claimed. */
  async run(options: WorkerOptions = {}): Promise<WorkerSummary> {
    if (!(this.backend instanceof DatabaseBackend)) {
      throw new TasksError(`TaskWorker runs tasks of the database backend; this module uses the ${this.backend.name} backend.`);
    }
    if (this.current) throw new TasksError('This TaskWorker is already running.');
    const resolved = resolveWorkerOptions({ ...this.moduleOptions.worker, ...options });
    const run = new WorkerRun(this.backend, this.backend.dialect, this.executor, this.registry, this.events, resolved, this.logger);
    this.current = run;
    try {
      return await run.start();
    } finally {
      this.current = undefined;
    }
  }

  /** Stops claiming, lets running tasks finish up to `shutdownTimeout`, releases the rest. */
  async stop(): Promise<void> {
    await this.current?.stop();
  }

  get isRunning(): boolean {
    return this.current !== undefined;
  }

  get workerId(): string | undefined {
    return this.current?.options.workerId;
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }
}

/** One run of the worker loop: claim → execute → record, until told to stop. */
class WorkerRun {
  private readonly active = new Map<string, ActiveAttempt>();
  private readonly writer: OutcomeWriter;
  private readonly renewer: TaskLeaseRenewer;
  private readonly reaper: TaskLeaseReaper;
  private stopping = false;
  private claimed = 0;
  private wakeUp?: () => void;
  private wakePending = false;
  private finished?: Promise<WorkerSummary>;

  constructor(
    private readonly source: TaskResultSource,
    private readonly dialect: TaskDialect,
    private readonly executor: TaskExecutor,
    private readonly registry: TaskRegistry,
    private readonly events: TaskEvents,
    readonly options: ResolvedWorkerOptions,
    private readonly logger: Logger,
  ) {
    const { workerId, leaseDuration } = options;
    this.writer = new OutcomeWriter(dialect, workerId, logger);
    this.renewer = new TaskLeaseRenewer(dialect, workerId, leaseDuration, () => this.active.values(),
      (id) => this.abortTask(id, AbortCause.CANCELLED), (key) => this.abort(key, AbortCause.LEASE_LOST), logger);
    this.reaper = new TaskLeaseReaper(dialect, Math.max(250, Math.floor(leaseDuration / 2)), (ids) => {
      ids.forEach((id) => this.events.changed(id));
      this.wake();
    }, logger);
  }

  start(): Promise<WorkerSummary> {
    return (this.finished ??= this.loop());
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.finished;
  }

  private async loop(): Promise<WorkerSummary> {
    const { queues, concurrency, pollInterval, batch, maxTasks, workerId, leaseDuration } = this.options;
    this.logger.log(`Worker ${workerId} started: queues ${queues?.join(', ') ?? '*'}, concurrency ${concurrency}.`);
    const unsubscribe = [
      this.events.onEnqueued((queue) => {
        if (!queues || queues.includes(queue)) this.wake();
      }),
      this.events.onCancelRequested((id) => this.abortTask(id, AbortCause.CANCELLED)),
    ];
    this.renewer.start();
    this.reaper.start();
    let reason: WorkerSummary['reason'] = 'stopped';
    let failures = 0;
    try {
      while (!this.stopping) {
        if (maxTasks !== null && this.claimed >= maxTasks) {
          reason = 'max-tasks';
          break;
        }
        const free = concurrency - this.active.size;
        if (free === 0) {
          await this.sleep();
          continue;
        }
        const limit = maxTasks === null ? free : Math.min(free, maxTasks - this.claimed);
        let tasks: ClaimedTask[];
        try {
          tasks = await this.dialect.claim({ workerId, queues, limit, leaseMs: leaseDuration });
          failures = 0;
        } catch (error) {
          failures++;
          const delay = Math.min(MAX_CLAIM_BACKOFF_MS, 100 * 2 ** failures);
          this.logger.error(`Could not claim tasks (retrying in ${delay} ms): ${(error as Error).message}`);
          await this.sleep(delay);
          continue;
        }
        this.claimed += tasks.length;
        for (const task of tasks) this.startAttempt(task);
        if (tasks.length === limit) continue;
        if (batch) {
          if (this.active.size === 0) {
            reason = 'batch-drained';
            break;
          }
          await this.sleep();
        } else {
          await this.sleep(pollInterval);
        }
      }
      await this.drain(reason === 'stopped');
    } finally {
      unsubscribe.forEach((off) => off());
      this.renewer.stop();
      this.reaper.stop();
    }
    this.logger.log(`Worker ${workerId} stopped (${reason}) after ${this.claimed} task(s).`);
    return { workerId, claimed: this.claimed, reason };
  }

  /** Waits for running attempts; when stopping, only up to the shutdown timeout. */
  private async drain(stopping: boolean): Promise<void> {
    if (this.active.size === 0) return;
    if (stopping) this.logger.log(`Waiting up to ${this.options.shutdownTimeout} ms for ${this.active.size} running task(s).`);
    const deadline = stopping ? Date.now() + this.options.shutdownTimeout : Infinity;
    while (this.active.size > 0 && Date.now() < deadline) {
      await this.sleep(Math.min(deadline - Date.now(), 1_000));
    }
    if (this.active.size === 0) return;
    this.logger.warn(`Releasing ${this.active.size} unfinished task(s) back to READY.`);
    for (const key of this.active.keys()) this.abort(key, AbortCause.SHUTDOWN);
    const graceEnd = Date.now() + RELEASE_GRACE_MS;
    while (this.active.size > 0 && Date.now() < graceEnd) await this.sleep(100);
    // A database that is still down keeps them RUNNING; their leases expire and any worker rescues them.
    this.writer.abandon();
  }

  private startAttempt(task: ClaimedTask): void {
    const attempt: ActiveAttempt = {
      key: `${task.id}:${task.attempt}`,
      id: task.id,
      done: false,
      task,
      controller: new AbortController(),
    };
    this.active.set(attempt.key, attempt);
    void this.executor
      .execute(task, {
        workerId: this.options.workerId,
        controller: attempt.controller,
        setProgress: (progress) => this.dialect.setProgress(task.id, this.options.workerId, task.attempt, progress),
        taskResult: () => this.entityOf(task),
      })
      .then((result) => this.record(attempt, result))
      .catch((error) => this.logger.error(`Could not record the outcome of task ${task.id}: ${(error as Error).message}`))
      .finally(() => {
        this.active.delete(attempt.key);
        this.events.changed(task.id);
        this.wake();
      });
  }

  private async record(attempt: ActiveAttempt, result: AttemptResult): Promise<void> {
    attempt.done = true;
    const outcome = this.toOutcome(attempt.task, result);
    if (outcome) await this.writer.write(outcome);
  }

  private toOutcome(task: ClaimedTask, result: AttemptResult): TaskOutcome | null {
    const { id, attempt } = task;
    switch (result.kind) {
      case 'succeeded':
        return { kind: 'succeeded', id, attempt, returnValue: result.returnValue };
      case 'failed': {
        const backoff = this.registry.get(task.taskName)?.backoff;
        const retryAt = result.retryable ? nextAttemptAt(attempt, task.maxAttempts, backoff) : null;
        return { kind: 'failed', id, attempt, error: result.error, retryAt };
      }
      case 'aborted':
        if (result.cause === AbortCause.CANCELLED) return { kind: 'cancelled', id, attempt };
        if (result.cause === AbortCause.SHUTDOWN) return { kind: 'released', id, attempt };
        return null; // lease lost: the row belongs to someone else now
    }
  }

  private abort(key: string, cause: AbortCause): void {
    const attempt = this.active.get(key);
    if (attempt && !attempt.controller.signal.aborted) attempt.controller.abort(new AttemptAbort(cause));
  }

  private abortTask(id: string, cause: AbortCause): void {
    for (const attempt of this.active.values()) {
      if (attempt.id === id) this.abort(attempt.key, cause);
    }
  }

  private entityOf(task: ClaimedTask): TaskResult {
    const result = Object.assign(new TaskResult(), mapTaskRow({ args: task.args, kwargs: task.kwargs }), {
      id: task.id,
      taskName: task.taskName,
      queueName: task.queueName,
      priority: task.priority,
      status: TaskResultStatus.RUNNING,
      maxAttempts: task.maxAttempts,
    });
    // The rest of the row (errors of earlier attempts, times) is one refresh() away.
    return bindTaskResult(result, this.source);
  }

  /** Sleeps until woken (new task, free slot, stop) or `ms` pass. */
  private sleep(ms?: number): Promise<void> {
    if (this.wakePending) {
      this.wakePending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        if (self.wakeUp === done) self.wakeUp = undefined;
        resolve();
      }
      this.wakeUp = done;
    });
  }

  private wake(): void {
    if (this.wakeUp) this.wakeUp();
    else this.wakePending = true;
  }
}
