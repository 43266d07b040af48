import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { TASK_WORKER_STORE, TASKS_MODULE_OPTIONS } from '../tasks.constants';
import type { TasksModuleOptions } from '../interfaces/tasks-module-options.interface';
import type { WorkerOptions } from '../interfaces/worker-options.interface';
import type { WorkerStore } from '../interfaces/worker-store.interface';
import type { ClaimedTask, SparedAttempts, TaskDialect } from '../dialects/task-dialect.interface';
import { mapTaskRow } from '../dialects/shared/task-row.mapper';
import { attemptKey } from '../core/attempt-ref';
import { cancelled, failed, released, succeeded, TaskChange, requeued } from '../core/task.transitions';
import { TaskResult } from '../entities/task-result.entity';
import { bindTaskResult } from '../entities/task-result.source';
import { TaskResultStatus } from '../task-result-status.enum';
import { TaskRegistry } from '../task.registry';
import { TaskEvents } from '../task.events';
import { TasksError } from '../task.errors';
import { TaskEventBus } from '../events/task-event.bus';
import { TaskExecutor } from '../execution/task.executor';
import type { AttemptHooks } from '../execution/attempt-hooks';
import { AbortCause, AttemptAbort, AttemptResult } from '../execution/task-attempt';
import { AttemptStop } from '../execution/attempt-stop';
import { OutcomeWriter } from './outcome.writer';
import { MaintenanceService, startAll } from './maintenance/maintenance-service';
import { TaskLeaseRenewer, HeldAttempt } from './maintenance/task-lease.renewer';
import { TaskLeaseReaper } from './maintenance/task-lease.reaper';
import { TaskResultPruner } from './maintenance/task-result.pruner';
import { ResolvedWorkerOptions, resolveWorkerOptions } from './worker-options';
import { ClaimPacer } from './claim.pacer';
import { ClaimedAheadBuffer } from './claimed-ahead.buffer';
import { WakeUp } from './wake-up';
import { AttemptEvents } from './attempt.events';
import { logFailedAttempt } from './attempt.log';
import { TaskSchedules } from '../schedules/task-schedules.service';
import { ClaimRouter } from '../limits/claim-router';
import { limitPlan } from '../limits/limit-plan';
import { resolveQueues } from '../limits/queue-limits';
import { WorkerRegistry } from '../workers/worker.registry';

export interface WorkerSummary {
  workerId: string;
  /** Tasks claimed by this run. */
  claimed: number;
  /** Why the run ended. */
  reason: 'stopped' | 'batch-drained' | 'max-tasks';
}

interface ActiveAttempt extends HeldAttempt {
  task: ClaimedTask;
  stop: AttemptStop;
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
    @Inject(TASK_WORKER_STORE) private readonly store: WorkerStore | null,
    private readonly executor: TaskExecutor,
    private readonly registry: TaskRegistry,
    private readonly events: TaskEvents,
    private readonly bus: TaskEventBus,
    @Inject(TASKS_MODULE_OPTIONS) private readonly moduleOptions: TasksModuleOptions,
    private readonly schedules: TaskSchedules,
  ) {}

  /** Runs until `stop()`, or until the batch is drained or `maxTasks` claimed. */
  async run(options: WorkerOptions = {}): Promise<WorkerSummary> {
    if (!this.store) {
      throw new TasksError(`TaskWorker runs tasks of the database backend; this module uses the ${this.moduleOptions.backend} backend, ` +
        'which keeps its tasks in memory and has nothing for a worker to claim.');
    }
    if (this.current) throw new TasksError('This TaskWorker is already running.');
    if (this.store.dialect.workerUnsupported) throw new TasksError(this.store.dialect.workerUnsupported);
    const resolved = resolveWorkerOptions({ ...this.moduleOptions.worker, ...options });
    // A batch run drains what is due and exits: it has no ticks to wait for.
    const scheduler = resolved.scheduler && !resolved.batch ? this.schedules.createScheduler(this.logger) : null;
    const plan = limitPlan(resolveQueues(this.moduleOptions.queues).limits, this.registry.all(), resolved.queues);
    // A batch run ends at its first empty round: it leaves no queue out of one.
    const claims = new ClaimRouter(this.store.dialect, plan, this.registry, this.logger, resolved.batch ? 0 : resolved.pollInterval);
    const run = new WorkerRun(this.store, this.executor, this.registry, this.events, this.bus, resolved, this.logger, claims, scheduler);
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
  private readonly dialect: TaskDialect;
  private readonly active = new Map<string, ActiveAttempt>();
  private readonly buffer = new ClaimedAheadBuffer();
  private readonly pacer: ClaimPacer;
  private readonly wakeUp = new WakeUp();
  /** Outcomes of finished attempts not yet committed. */
  private unsettled = 0;
  /** Outcome writes in flight, by queue (when some queue is limited): their rows are still RUNNING. */
  private readonly writing = new Map<string, number>();
  /** Outcome writes settled so far: a batch run is drained only if none settled during its last claim. */
  private settledWrites = 0;
  private readonly writer: OutcomeWriter;
  private readonly announcer: AttemptEvents;
  /** What the executor asks of the worker, for every attempt of this run. */
  private readonly hooks: AttemptHooks;
  private readonly services: MaintenanceService[];
  private stopping = false;
  private claimed = 0;
  /** A claim statement is in flight: rows it claimed are this worker's before it knows their ids. */
  private claiming = false;
  private finished?: Promise<WorkerSummary>;

  constructor(
    private readonly store: WorkerStore,
    private readonly executor: TaskExecutor,
    private readonly registry: TaskRegistry,
    private readonly events: TaskEvents,
    bus: TaskEventBus,
    readonly options: ResolvedWorkerOptions,
    private readonly logger: Logger,
    private readonly claims: ClaimRouter,
    scheduler: MaintenanceService | null = null,
  ) {
    const { workerId, leaseDuration } = options;
    this.dialect = store.dialect;
    this.pacer = new ClaimPacer(options.concurrency);
    this.writer = new OutcomeWriter(this.dialect, workerId, logger);
    this.announcer = new AttemptEvents(bus, store, workerId, logger);
    this.hooks = {
      workerId,
      setProgress: async (task, progress) => {
        await this.dialect.progress(workerId, task, progress);
        this.announcer.progress(task, progress);
      },
      taskResult: (task) => this.entityOf(task),
    };
    const renewer = new TaskLeaseRenewer(this.dialect, workerId, leaseDuration, () => this.held(),
      (id) => this.abortTask(id, AbortCause.CANCELLED), (key) => this.loseLease(key), logger, () => this.writer.pending());
    this.services = [
      renewer,
      new TaskLeaseReaper(this.dialect, Math.max(250, Math.floor(leaseDuration / 2)), (ids) => {
        ids.forEach((id) => this.events.changed(id));
        this.announcer.rescued(ids);
        this.wake();
      }, logger, () => renewer.renew(), () => this.own(workerId)),
    ];
    if (options.pruneAfter !== null) this.services.push(new TaskResultPruner(this.dialect, options.pruneAfter, options.queues, logger));
    if (scheduler) this.services.push(scheduler);
    this.services.push(new WorkerRegistry(this.dialect.operations(), {
      id: workerId, queues: options.queues, concurrency: options.concurrency, heartbeatInterval: options.heartbeatInterval,
      running: () => this.active.size,
    }, logger));
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
        this.claims.nudge(queue);
        if (queue === null) {
          // Some commit to the database, maybe a task: worth a claim only to a worker that has
          // nothing to run. A busy one claims when a slot frees; woken early, it would claim in
          // small batches.
          if (this.active.size === 0 && this.buffer.length === 0) this.wake();
        } else if (!queues || queues.includes(queue)) {
          this.wake();
        }
      }),
      this.events.onCancelRequested((id) => this.abortTask(id, AbortCause.CANCELLED)),
    ];
    const stopServices = startAll(this.services);
    let reason: WorkerSummary['reason'] = 'stopped';
    let failures = 0;
    try {
      while (!this.stopping) {
        this.releaseStale();
        if (maxTasks !== null && this.claimed >= maxTasks && this.buffer.length === 0) {
          reason = 'max-tasks';
          break;
        }
        let limit = this.pacer.limit(this.active.size, this.buffer.length);
        if (maxTasks !== null) limit = Math.min(limit, maxTasks - this.claimed);
        if (limit <= 0) {
          await this.sleep();
          continue;
        }
        let tasks: ClaimedTask[];
        const settledBefore = this.settledWrites;
        try {
          const freeSlots = concurrency - this.active.size - this.buffer.length;
          this.claiming = true;
          tasks = await this.claims.claim({ workerId, queues, limit, leaseMs: leaseDuration }, freeSlots, (queue) => this.heldIn(queue));
          failures = 0;
        } catch (error) {
          this.claiming = false;
          failures++;
          const delay = Math.min(MAX_CLAIM_BACKOFF_MS, 100 * 2 ** failures);
          this.logger.error(`Could not claim tasks (retrying in ${delay} ms): ${(error as Error).message}`);
          await this.sleep(delay);
          continue;
        }
        this.claimed += tasks.length;
        this.buffer.push(tasks);
        this.claiming = false;
        this.fillSlots();
        if (this.pacer.claimed(tasks.length, limit)) continue;
        if (batch) {
          // Unwritten outcomes may be retries that are due at once: drained means all settled, and
          // none settled while this claim ran (its answer may predate a retry that is due now).
          if (this.active.size === 0 && this.buffer.length === 0 && this.unsettled === 0 && this.settledWrites === settledBefore) {
            reason = 'batch-drained';
            break;
          }
          await this.sleep();
        } else {
          await this.sleep(pollInterval);
        }
      }
      this.release(this.buffer.takeAll());
      await this.drain(reason === 'stopped');
    } finally {
      unsubscribe.forEach((off) => off());
      stopServices();
      await Promise.all(this.services.map((service) => service.stopped?.()));
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
    while (this.active.size > 0 && Date.now() < deadline) await this.wakeUp.sleep(Math.min(deadline - Date.now(), 1_000));
    if (this.active.size > 0) {
      this.logger.warn(`Releasing ${this.active.size} unfinished task(s) back to READY.`);
      for (const key of this.active.keys()) this.abort(key, AbortCause.SHUTDOWN);
    }
    const graceEnd = stopping ? Date.now() + RELEASE_GRACE_MS : Infinity;
    while ((this.active.size > 0 || this.unsettled > 0) && Date.now() < graceEnd) await this.wakeUp.sleep(100);
    // A database that is still down keeps them RUNNING; their leases expire and any worker rescues them.
    if (this.unsettled > 0) this.writer.abandon();
    // Abandoned, they settle at once; a batch in flight when its write returns.
    while (this.unsettled > 0) await this.wakeUp.sleep(100);
  }

  /** Sleeps until woken or `ms` pass, and no longer than until a claimed-ahead task goes stale. */
  private sleep(ms?: number): Promise<void> {
    const stale = this.buffer.msUntilStale();
    return this.wakeUp.sleep(stale === undefined ? ms : Math.min(ms ?? Infinity, stale + 1));
  }

  /** This worker's tasks of `queue` that are RUNNING in the database: claimed, their outcome not yet committed. */
  private heldIn(queue: string): number {
    let count = this.writing.get(queue) ?? 0;
    for (const attempt of this.active.values()) if (attempt.task.queueName === queue) count++;
    for (const task of this.buffer.tasks()) if (task.queueName === queue) count++;
    return count;
  }

  private wake(): void {
    this.wakeUp.wake();
  }

  private fillSlots(): void {
    while (this.active.size < this.options.concurrency && this.buffer.length > 0) {
      this.startAttempt(this.buffer.shift()!);
    }
  }

  /** Claimed-ahead tasks stuck behind slots that stopped turning over go back for other workers. */
  private releaseStale(): void {
    const stale = this.buffer.takeStale();
    if (stale.length === 0) return;
    this.pacer.stalled();
    // Given back unrun: they do not count toward maxTasks.
    this.claimed -= stale.length;
    this.logger.log(`Gave back ${stale.length} claimed-ahead task(s) that found no free slot in time.`);
    this.release(stale);
  }

  /** Claimed but never started: back to READY, the attempt not charged. */
  private release(tasks: ClaimedTask[]): void {
    for (const task of tasks) this.record(task, released(task));
  }

  /** Every attempt this worker still answers for, as its renewer renews them. */
  private own(workerId: string): SparedAttempts {
    const ids = new Set<string>();
    for (const attempt of this.held()) ids.add(attempt.id);
    for (const ref of this.writer.pending()) ids.add(ref.id);
    return { workerId, ids, claiming: this.claiming };
  }

  private *held(): Iterable<HeldAttempt> {
    yield* this.active.values();
    for (const task of this.buffer.tasks()) yield { key: attemptKey(task), id: task.id, done: false };
  }

  private loseLease(key: string): void {
    this.buffer.take((task) => attemptKey(task) === key);
    this.abort(key, AbortCause.LEASE_LOST);
  }

  /** Writes `outcome`, then tells whoever waits on the task and whoever listens to its events. */
  private record(task: ClaimedTask, outcome: TaskChange): void {
    if (task.hasDependents) outcome.hasDependents = true;
    // Counted per queue only for the limits (heldIn); the plain path pays nothing for them.
    const queue = this.claims.limited ? task.queueName : null;
    if (queue !== null) this.writing.set(queue, (this.writing.get(queue) ?? 0) + 1);
    this.unsettled++;
    this.writer.write(outcome, () => {
      try {
        this.events.changed(task.id);
        this.announcer.written(task, outcome);
      } catch (error) {
        this.logger.error(`Could not announce the outcome of task ${task.id}: ${(error as Error).message}`);
      }
      if (queue !== null) {
        const writing = this.writing.get(queue)! - 1;
        if (writing === 0) this.writing.delete(queue);
        else this.writing.set(queue, writing);
        // A slot of its queue may have freed under a limit.
        this.claims.nudge(queue);
      }
      this.unsettled--;
      this.settledWrites++;
      this.wake();
    });
  }

  private startAttempt(task: ClaimedTask): void {
    const attempt: ActiveAttempt = {
      key: attemptKey(task),
      id: task.id,
      done: false,
      task,
      stop: new AttemptStop(),
    };
    this.active.set(attempt.key, attempt);
    this.announcer.started(task);
    const started = performance.now();
    let running: Promise<AttemptResult>;
    try {
      running = this.executor.execute(task, attempt.stop, this.hooks);
    } catch (error) {
      running = Promise.reject(error);
    }
    // One reaction for the whole attempt: each promise of the plain path costs again in async hooks.
    running.then((result) => this.ended(attempt, result, started), (error) => this.notRecorded(attempt, error));
  }

  private ended(attempt: ActiveAttempt, result: AttemptResult, started: number): void {
    try {
      this.pacer.ran(performance.now() - started);
      // The slot frees as soon as the task is done, so the next task and the next claim
      // overlap this write; whoever waits on the task hears of it once the outcome is committed.
      attempt.done = true;
      this.active.delete(attempt.key);
      this.fillSlots();
      const task = attempt.task;
      const outcome = this.toOutcome(task, result);
      // A task that has dependents releases them in its outcome's commit, which wakes the loop
      // (record). When nothing else was due at the last claim (a chain's step), a claim before
      // that commit would find nothing; while claims come back full (a chord's members), the
      // slot is worth filling at once.
      if (!outcome || !task.hasDependents || !this.pacer.cameShort) this.wake();
      if (outcome) this.record(task, outcome);
    } catch (error) {
      this.notRecorded(attempt, error);
    }
  }

  private notRecorded(attempt: ActiveAttempt, error: unknown): void {
    this.logger.error(`Could not record the outcome of task ${attempt.id}: ${(error as Error).message}`);
    this.active.delete(attempt.key);
  }

  private toOutcome(task: ClaimedTask, result: AttemptResult): TaskChange | null {
    const ref = { id: task.id, attempt: task.attempt };
    switch (result.kind) {
      case 'succeeded':
        return succeeded(ref, result.returnValue);
      case 'failed': {
        const change = failed(task, result.error, {
          retryable: result.retryable,
          backoff: this.registry.get(task.taskName)?.backoff,
          onBackoffProblem: (problem) => this.logger.warn(`Task ${task.id} (${task.taskName}): ${problem}.`),
        });
        logFailedAttempt(this.logger, task, change);
        return change;
      }
      case 'aborted':
        if (result.cause === AbortCause.CANCELLED) return cancelled(ref);
        if (result.cause === AbortCause.SHUTDOWN) return released(ref);
        return null; // lease lost: the row belongs to someone else now
      case 'requeued':
        return requeued(ref, result.delayMs);
    }
  }

  private abort(key: string, cause: AbortCause): void {
    const attempt = this.active.get(key);
    attempt?.stop.abort(new AttemptAbort(cause));
  }

  private abortTask(id: string, cause: AbortCause): void {
    for (const attempt of this.active.values()) {
      if (attempt.id === id) this.abort(attempt.key, cause);
    }
    if (cause !== AbortCause.CANCELLED) return;
    const task = this.buffer.take((buffered) => buffered.id === id);
    if (task) this.record(task, cancelled(task));
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
    return bindTaskResult(result, this.store);
  }
}
