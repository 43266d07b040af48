import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { TASK_BACKEND, TASKS_MODULE_OPTIONS } from '../tasks.constants';
import type { TasksModuleOptions } from '../interfaces/tasks-module-options.interface';
import type { WorkerOptions } from '../interfaces/worker-options.interface';
import type { TaskBackend } from '../backends/task-backend.interface';
import { DatabaseBackend } from '../backends/database.backend';
import type { ClaimedTask, TaskDialect } from '../dialects/task-dialect.interface';
import { mapTaskRow } from '../dialects/shared/task-row.mapper';
import { attemptKey } from '../core/attempt-ref';
import { cancelled, failed, released, succeeded, TaskChange } from '../core/task.transitions';
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
import { TaskResultPruner } from './task-result.pruner';
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
/**
 * Tasks that run this fast on average are claimed ahead, so the next claim's round trip overlaps
 * running tasks and claims come in large batches. Slower tasks are never claimed ahead: a claimed
 * task waiting behind long ones would be a task no idle worker can take.
 */
const PREFETCH_MAX_RUN_MS = 20;
/** Claimed-ahead tasks hold about this much work, so none waits longer than that for a slot. */
const PREFETCH_WINDOW_MS = 50;
const PREFETCH_MAX = 100;
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
    if (this.backend.dialect.workerUnsupported) throw new TasksError(this.backend.dialect.workerUnsupported);
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

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }
}

/** One run of the worker loop: claim → execute → record, until told to stop. */
class WorkerRun {
  private readonly active = new Map<string, ActiveAttempt>();
  /** Claimed ahead, waiting for a slot. */
  private readonly buffer: ClaimedTask[] = [];
  private averageRunMs?: number;
  private lastClaimFull = false;
  /** Outcomes of finished attempts not yet committed. */
  private readonly writes = new Set<Promise<void>>();
  private readonly writer: OutcomeWriter;
  private readonly renewer: TaskLeaseRenewer;
  private readonly reaper: TaskLeaseReaper;
  private readonly pruner?: TaskResultPruner;
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
    this.renewer = new TaskLeaseRenewer(dialect, workerId, leaseDuration, () => this.held(),
      (id) => this.abortTask(id, AbortCause.CANCELLED), (key) => this.loseLease(key), logger, () => this.writer.pending());
    this.reaper = new TaskLeaseReaper(dialect, Math.max(250, Math.floor(leaseDuration / 2)), (ids) => {
      ids.forEach((id) => this.events.changed(id));
      this.wake();
    }, logger);
    if (options.pruneAfter !== null) this.pruner = new TaskResultPruner(dialect, options.pruneAfter, options.queues, logger);
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
    this.pruner?.start();
    let reason: WorkerSummary['reason'] = 'stopped';
    let failures = 0;
    try {
      while (!this.stopping) {
        if (maxTasks !== null && this.claimed >= maxTasks && this.buffer.length === 0) {
          reason = 'max-tasks';
          break;
        }
        let limit = this.claimLimit();
        if (maxTasks !== null) limit = Math.min(limit, maxTasks - this.claimed);
        if (limit <= 0) {
          await this.sleep();
          continue;
        }
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
        this.lastClaimFull = tasks.length === limit;
        this.buffer.push(...tasks);
        this.fillSlots();
        if (this.lastClaimFull) continue;
        if (batch) {
          // Unwritten outcomes may be retries that are due at once: drained means all settled.
          if (this.active.size === 0 && this.buffer.length === 0 && this.writes.size === 0) {
            reason = 'batch-drained';
            break;
          }
          await this.sleep();
        } else {
          await this.sleep(pollInterval);
        }
      }
      this.releaseBuffer();
      await this.drain(reason === 'stopped');
    } finally {
      unsubscribe.forEach((off) => off());
      this.renewer.stop();
      this.reaper.stop();
      this.pruner?.stop();
    }
    this.logger.log(`Worker ${workerId} stopped (${reason}) after ${this.claimed} task(s).`);
    return { workerId, claimed: this.claimed, reason };
  }

  /**
   * Waits for running attempts (when stopping, only up to the shutdown timeout, then releases
   * them) and for their outcomes to be written.
   */
  private async drain(stopping: boolean): Promise<void> {
    const { shutdownTimeout } = this.options;
    if (stopping && this.active.size > 0) this.logger.log(`Waiting up to ${shutdownTimeout} ms for ${this.active.size} running task(s).`);
    const deadline = stopping ? Date.now() + shutdownTimeout : Infinity;
    while (this.active.size > 0 && Date.now() < deadline) await this.sleep(Math.min(deadline - Date.now(), 1_000));
    if (this.active.size > 0) {
      this.logger.warn(`Releasing ${this.active.size} unfinished task(s) back to READY.`);
      for (const key of this.active.keys()) this.abort(key, AbortCause.SHUTDOWN);
    }
    const graceEnd = stopping ? Date.now() + RELEASE_GRACE_MS : Infinity;
    while ((this.active.size > 0 || this.writes.size > 0) && Date.now() < graceEnd) await this.sleep(100);
    // A database that is still down keeps them RUNNING; their leases expire and any worker rescues them.
    if (this.writes.size > 0) this.writer.abandon();
    await Promise.all(this.writes);
  }

  /** How many tasks to claim now: the free slots, plus a batch ahead while tasks are short. */
  private claimLimit(): number {
    const { concurrency } = this.options;
    const average = this.averageRunMs;
    const ahead = this.lastClaimFull && average !== undefined && average < PREFETCH_MAX_RUN_MS
      ? Math.min(PREFETCH_MAX, Math.max(concurrency, Math.round((concurrency * PREFETCH_WINDOW_MS) / Math.max(average, 0.01))))
      : 0;
    const limit = concurrency + ahead - this.active.size - this.buffer.length;
    // While the buffer still feeds the slots, wait to claim a worthwhile batch.
    return this.buffer.length > 0 && limit < Math.max(concurrency, ahead) / 2 ? 0 : limit;
  }

  private fillSlots(): void {
    while (this.active.size < this.options.concurrency && this.buffer.length > 0) {
      this.startAttempt(this.buffer.shift()!);
    }
  }

  /** Claimed but never started: back to READY, the attempt not charged. */
  private releaseBuffer(): void {
    for (const task of this.buffer.splice(0)) this.track(task.id, this.writer.write(released(task)));
  }

  private *held(): Iterable<HeldAttempt> {
    yield* this.active.values();
    for (const task of this.buffer) yield { key: attemptKey(task), id: task.id, done: false };
  }

  private loseLease(key: string): void {
    const index = this.buffer.findIndex((task) => attemptKey(task) === key);
    if (index >= 0) this.buffer.splice(index, 1);
    this.abort(key, AbortCause.LEASE_LOST);
  }

  private track(id: string, write: Promise<void>): void {
    const tracked = write
      .then(() => this.events.changed(id))
      .finally(() => {
        this.writes.delete(tracked);
        this.wake();
      });
    this.writes.add(tracked);
  }

  private startAttempt(task: ClaimedTask): void {
    const attempt: ActiveAttempt = {
      key: attemptKey(task),
      id: task.id,
      done: false,
      task,
      controller: new AbortController(),
    };
    this.active.set(attempt.key, attempt);
    const started = performance.now();
    const recorded = this.executor
      .execute(task, {
        workerId: this.options.workerId,
        controller: attempt.controller,
        setProgress: (progress) => this.dialect.progress(this.options.workerId, task, progress),
        taskResult: () => this.entityOf(task),
      })
      .then((result) => {
        const runMs = performance.now() - started;
        this.averageRunMs = this.averageRunMs === undefined ? runMs : this.averageRunMs * 0.8 + runMs * 0.2;
        // The slot frees as soon as the task is done, so the next task and the next claim
        // overlap this write; whoever waits on the task hears of it once the outcome is committed.
        attempt.done = true;
        this.active.delete(attempt.key);
        this.fillSlots();
        this.wake();
        return this.record(attempt, result);
      });
    this.track(task.id, recorded.catch((error) => {
      this.logger.error(`Could not record the outcome of task ${task.id}: ${(error as Error).message}`);
    }).finally(() => this.active.delete(attempt.key)));
  }

  private async record(attempt: ActiveAttempt, result: AttemptResult): Promise<void> {
    const outcome = this.toOutcome(attempt.task, result);
    if (outcome) await this.writer.write(outcome);
  }

  private toOutcome(task: ClaimedTask, result: AttemptResult): TaskChange | null {
    const ref = { id: task.id, attempt: task.attempt };
    switch (result.kind) {
      case 'succeeded':
        return succeeded(ref, result.returnValue);
      case 'failed':
        return failed(task, result.error, {
          retryable: result.retryable,
          backoff: this.registry.get(task.taskName)?.backoff,
          onBackoffProblem: (problem) => this.logger.warn(`Task ${task.id} (${task.taskName}): ${problem}.`),
        });
      case 'aborted':
        if (result.cause === AbortCause.CANCELLED) return cancelled(ref);
        if (result.cause === AbortCause.SHUTDOWN) return released(ref);
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
    const index = this.buffer.findIndex((task) => task.id === id);
    if (index >= 0 && cause === AbortCause.CANCELLED) {
      const [task] = this.buffer.splice(index, 1);
      this.track(id, this.writer.write(cancelled(task)));
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
    const wakeUp = this.wakeUp;
    if (!wakeUp) {
      this.wakePending = true;
      return;
    }
    this.wakeUp = undefined;
    // Deferred a tick: attempts that finish together free their slots together, so the next
    // claim takes them all in one round trip instead of one claim per finished task.
    setImmediate(wakeUp);
  }
}
