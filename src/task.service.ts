import { Inject, Injectable, Optional, Type } from '@nestjs/common';
import { resolveQueues } from './limits/queue-limits';
import { concurrencyKeyOf } from './limits/task-limits';
import type { TaskResult } from './entities/task-result.entity';
import type { TaskBackend } from './backends/task-backend.interface';
import type { NewTaskRow, NewWorkflowTask } from './dialects/task-dialect.interface';
import { TaskDefinition, TaskRegistry } from './task.registry';
import { TASK_BACKEND, TASKS_MODULE_OPTIONS, DEFAULT_MAX_PAYLOAD_SIZE } from './tasks.constants';
import type { TasksModuleOptions } from './interfaces/tasks-module-options.interface';
import type {
  EnqueueOptions, EnqueueWithKwargs, LastArg, LeadingArgs, PruneOptions, TaskArgs, TaskMethodName, TaskReturn,
  WorkflowOptions,
} from './interfaces/task-types';
import { InvalidTaskError, InvalidTaskArgumentsError, TaskContextError, TaskResultNotFoundError } from './task.errors';
import { ChainStep, GroupValues, PipeCall, TaskCall } from './workflows/task-call';
import { chainTasks, checkMetadata, dependencyIds, failurePolicy, groupTasks } from './workflows/workflow-tasks';
import { ChordCallback, TaskGroup } from './workflows/task-group';
import { TaskChain } from './workflows/task-chain';
import { Pipe } from './dialects/shared/dependents.settle';
import { validatePriority } from './task.validation';
import { encodeTaskPayload } from './serialization/task-payload';
import { newTaskId } from './task-id';
import { taskContextStorage, TaskContext } from './task-context';
import { FINISHED_STATUSES, TaskResultStatus } from './task-result-status.enum';
import { afterNow, NOW, TaskTime } from './core/task-time';
import { TaskSchedules } from './schedules/task-schedules.service';
import { TaskQueues } from './queues/task-queues.service';
import type { TaskQueueInfo } from './queues/task-queue.interface';
import type { ScheduleOptions, TaskSchedule } from './schedules/task-schedule.interface';
import { QueueCounts, TaskOperations } from './operations/task-operations.service';
import type { BulkOptions, TaskFilter } from './operations/task-filter';
import type { TaskWorkerInfo } from './workers/task-worker-info';
import { EnqueueTelemetry, TASK_TELEMETRY } from './telemetry/enqueue-telemetry';
import type { EntityManager } from 'typeorm';
import { checkKey, UniqueEnqueue, uniqueOptions } from './uniqueness/unique-options';
import type { KeyedTask } from './uniqueness/uniqueness-dialect.interface';

/** The last instant every database stores and orders correctly (SQLite's text dates end at year 9999). */
const LATEST_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const DEFAULT_PRUNE_BATCH = 1000;

/** Enqueue tasks, read and cancel their results. */
@Injectable()
export class TaskService {
  private readonly maxPayloadSize: number;
  private readonly queues?: ReadonlySet<string>;

  constructor(
    @Inject(TASK_BACKEND) private readonly backend: TaskBackend,
    private readonly registry: TaskRegistry,
    @Inject(TASKS_MODULE_OPTIONS) options: TasksModuleOptions,
    private readonly schedules: TaskSchedules,
    private readonly queueState: TaskQueues,
    private readonly operations: TaskOperations,
    @Optional() @Inject(TASK_TELEMETRY) private readonly telemetry: EnqueueTelemetry | null = null,
  ) {
    this.maxPayloadSize = options.maxPayloadSize ?? DEFAULT_MAX_PAYLOAD_SIZE;
    const { names } = resolveQueues(options.queues);
    this.queues = names ? new Set(names) : undefined;
  }

  /** Enqueues `instance.method(...args)` of a `@Task()` method. */
  enqueue<T, K extends TaskMethodName<T>>(
    target: Type<T>, method: K, args: TaskArgs<T, K>, options?: EnqueueOptions,
  ): Promise<TaskResult<TaskReturn<T, K>>>;
  /** Enqueues `instance.method(...args, kwargs)`: `kwargs` fills the method's last parameter. */
  enqueue<T, K extends TaskMethodName<T>>(
    target: Type<T>, method: K, args: LeadingArgs<TaskArgs<T, K>>, options: EnqueueWithKwargs<LastArg<TaskArgs<T, K>>>,
  ): Promise<TaskResult<TaskReturn<T, K>>>;
  /** Enqueues a task by its stored name. */
  enqueue<R = unknown>(name: string, args: unknown[], options?: EnqueueOptions & { kwargs?: Record<string, unknown> }): Promise<TaskResult<R>>;
  async enqueue(...params: unknown[]): Promise<TaskResult> {
    const { definition, rest } = this.resolve(params);
    const [args, options = {}] = rest as [unknown[], EnqueueOptions & { kwargs?: unknown }];
    const unique = this.unique(definition, options, `enqueue(${definition.name})`);
    const row = this.prepare(definition, args, unique ? keyedOptions(options, unique) : options, options.kwargs, new Date());
    if (unique) {
      const [result] = await this.storeKeyed([keyedTask(row, unique)], unique.throttleMs, options.manager);
      return result;
    }
    if (options.dependsOn === undefined && options.metadata === undefined && options.onDependencyFailure === undefined) {
      const [result] = await this.store([row], options.manager);
      return result;
    }
    const where = `enqueue(${definition.name})`;
    const [result] = await this.storeWorkflow([{
      row,
      dependsOn: dependencyIds(options.dependsOn ?? [], where),
      onDependencyFailure: failurePolicy(options.onDependencyFailure, where),
      pipe: Pipe.None,
      releaseDelayMs: options.delay ?? (options.runAfter ? null : 0),
    }], options.manager);
    return result;
  }

  /**
   * Enqueues `calls` together, in one transaction (Celery's group, taskiq's gather). With
   * `then`, a chord: the callback runs once every member succeeded; a `pipe()` callback
   * receives their return values, in order, as its first argument.
   */
  group<const C extends readonly TaskCall<any>[], R>(
    calls: C, options: WorkflowOptions & { then: PipeCall<GroupValues<C>, R> | TaskCall<R> },
  ): Promise<TaskGroup<GroupValues<C>, R>>;
  group<const C extends readonly TaskCall<any>[]>(calls: C, options?: WorkflowOptions): Promise<TaskGroup<GroupValues<C>, never>>;
  async group(calls: readonly unknown[], options: WorkflowOptions & { then?: unknown } = {}): Promise<any> {
    const { id, tasks } = groupTasks(calls, options.then, (step) => this.prepareStep(step));
    const results = await this.storeWorkflow(tasks, options.manager);
    return new TaskGroup<unknown[], unknown>(id, results.slice(0, calls.length), options.then !== undefined ? results[calls.length] : null,
      this.backend);
  }

  /**
   * Enqueues `steps` as a chain, in one transaction: each runs after the previous one
   * succeeded; a `pipe()` step receives the previous return value as its first argument.
   */
  chain<A, B>(steps: readonly [TaskCall<A>, ChainStep<A, B>], options?: WorkflowOptions): Promise<TaskChain<B>>;
  chain<A, B, C>(steps: readonly [TaskCall<A>, ChainStep<A, B>, ChainStep<B, C>], options?: WorkflowOptions): Promise<TaskChain<C>>;
  chain<A, B, C, D>(
    steps: readonly [TaskCall<A>, ChainStep<A, B>, ChainStep<B, C>, ChainStep<C, D>], options?: WorkflowOptions,
  ): Promise<TaskChain<D>>;
  chain<A, B, C, D, E>(
    steps: readonly [TaskCall<A>, ChainStep<A, B>, ChainStep<B, C>, ChainStep<C, D>, ChainStep<D, E>], options?: WorkflowOptions,
  ): Promise<TaskChain<E>>;
  chain<A, B, C, D, E, F>(
    steps: readonly [TaskCall<A>, ChainStep<A, B>, ChainStep<B, C>, ChainStep<C, D>, ChainStep<D, E>, ChainStep<E, F>],
    options?: WorkflowOptions,
  ): Promise<TaskChain<F>>;
  /** Any length, every step resolving to `R` (and every pipe() taking it). */
  chain<R>(steps: readonly [TaskCall<R>, ...ChainStep<R, R>[]], options?: WorkflowOptions): Promise<TaskChain<R>>;
  async chain(steps: readonly unknown[], options: WorkflowOptions = {}): Promise<TaskChain<unknown>> {
    const { id, tasks } = chainTasks(steps, (step) => this.prepareStep(step));
    return new TaskChain(id, await this.storeWorkflow(tasks, options.manager), this.backend);
  }

  /** The group `id` (members and callback) as stored now; `TaskResultNotFoundError` if there is none. */
  async getGroup<V extends unknown[] = unknown[], C = unknown>(id: string): Promise<TaskGroup<V, C>> {
    const rows = await this.backend.groupResults(id);
    if (rows.length === 0) throw new TaskResultNotFoundError(id);
    const group = new TaskGroup<V, C>(id, [], null as ChordCallback<C>, this.backend);
    group.results = rows.filter((row) => row.position >= 0).map((row) => row.result);
    group.callback = (rows.find((row) => row.position < 0)?.result as never) ?? null;
    return group;
  }

  /** The chain `id` as stored now; `TaskResultNotFoundError` if there is none. */
  async getChain<R = unknown>(id: string): Promise<TaskChain<R>> {
    const rows = await this.backend.groupResults(id);
    if (rows.length === 0) throw new TaskResultNotFoundError(id);
    return new TaskChain<R>(id, rows.map((row) => row.result), this.backend);
  }

  /** The row of a workflow step, checked like an enqueue of it. */
  private prepareStep(step: TaskCall | PipeCall): NewTaskRow {
    const { definition } = this.resolve(step.to.method === undefined ? [step.to.target] : [step.to.target, step.to.method]);
    // A pipe step's first argument comes from its dependency: its key is computed when it is claimed.
    return this.prepare(definition, step.args, step.options as EnqueueOptions, undefined, new Date(), !(step instanceof PipeCall));
  }

  /** Enqueues one task per entry of `argsList`, in one statement. */
  enqueueMany<T, K extends TaskMethodName<T>>(
    target: Type<T>, method: K, argsList: TaskArgs<T, K>[], options?: EnqueueOptions,
  ): Promise<TaskResult<TaskReturn<T, K>>[]>;
  enqueueMany<R = unknown>(name: string, argsList: unknown[][], options?: EnqueueOptions): Promise<TaskResult<R>[]>;
  async enqueueMany(...params: unknown[]): Promise<TaskResult[]> {
    const { definition, rest } = this.resolve(params);
    const [argsList, options = {}] = rest as [unknown[][], EnqueueOptions];
    if (!Array.isArray(argsList)) {
      throw new InvalidTaskArgumentsError(`enqueueMany(${definition.name}) takes an array of argument arrays.`);
    }
    const unique = this.unique(definition, options, `enqueueMany(${definition.name})`);
    if (argsList.length === 0) return [];
    // One statement, one enqueue time: rows of a batch keep their order by id within it.
    const enqueuedAt = new Date();
    const rows = argsList.map((args, index) => {
      try {
        return this.prepare(definition, args, unique ? keyedOptions(options, unique) : options, undefined, enqueuedAt);
      } catch (error) {
        if (error instanceof InvalidTaskArgumentsError) {
          throw new InvalidTaskArgumentsError(`Task ${index} of enqueueMany: ${error.message}`, `[${index}].${error.path}`);
        }
        throw error;
      }
    });
    if (unique) {
      // One key for the whole batch: in order, the first entry is stored (or finds the pending
      // task) and each later one meets it, as separate enqueues would.
      return this.storeKeyed(rows.map((row) => keyedTask(row, unique)), unique.throttleMs, options.manager);
    }
    if (options.dependsOn === undefined && options.metadata === undefined && options.onDependencyFailure === undefined) {
      return this.store(rows, options.manager);
    }
    const where = `enqueueMany(${definition.name})`;
    const dependsOn = dependencyIds(options.dependsOn ?? [], where);
    const onDependencyFailure = failurePolicy(options.onDependencyFailure, where);
    const releaseDelayMs = options.delay ?? (options.runAfter ? null : 0);
    return this.storeWorkflow(rows.map((row) => ({ row, dependsOn, onDependencyFailure, pipe: Pipe.None, releaseDelayMs })),
      options.manager);
  }

  /** The pending (READY or WAITING) task of `Class.method` holding `key`, or null. */
  getByKey<T, K extends TaskMethodName<T>>(target: Type<T>, method: K, key: string): Promise<TaskResult<TaskReturn<T, K>> | null>;
  /** The pending (READY or WAITING) task of the task named `name` holding `key`, or null. */
  getByKey<R = unknown>(name: string, key: string): Promise<TaskResult<R> | null>;
  async getByKey(...params: unknown[]): Promise<TaskResult | null> {
    const { definition, rest } = this.resolve(params);
    const [key] = rest;
    checkKey(key, `getByKey(${definition.name})`);
    return this.backend.pendingByKey(definition.name, key);
  }

  /** The result of task `id`; `TaskResultNotFoundError` if there is none. */
  getResult<R = unknown>(id: string): Promise<TaskResult<R>> {
    return this.backend.getResult(id) as Promise<TaskResult<R>>;
  }

  /** READY → CANCELLED at once; RUNNING → its signal fires and it ends CANCELLED. Returns the task as it is now. */
  cancel<R = unknown>(id: string): Promise<TaskResult<R>> {
    return this.backend.cancel(id) as Promise<TaskResult<R>>;
  }

  /**
   * Runs FAILED or CANCELLED task `id` again on the same row: READY, its attempts and errors kept,
   * `maxAttempts` raised to one more than the attempts made. With `dependents: true`, the
   * dependents its failure cancelled go back to WAITING (and theirs). `TaskNotRetryableError`
   * for any other status; `TaskResultNotFoundError` for an unknown id. Returns the task as it is now.
   */
  retry<R = unknown>(id: string, options: { dependents?: boolean } = {}): Promise<TaskResult<R>> {
    return this.operations.retry(id, options.dependents === true) as Promise<TaskResult<R>>;
  }

  /** Retries every FAILED or CANCELLED task matching `filter` (as `retry`, without dependents), a batch per statement; returns how many. */
  retryMany(filter: TaskFilter, options?: BulkOptions): Promise<number> {
    return this.operations.retryMany(filter, options);
  }

  /**
   * READY task `id` scheduled for later (a `runAfter`/`delay` enqueue, a retry backing off)
   * becomes due now, on the database's clock, on the same row; workers wake for it. A task
   * already due is left as it is. `TaskNotRetryableError` for any other status;
   * `TaskResultNotFoundError` for an unknown id. Returns the task as it is now.
   */
  runNow<R = unknown>(id: string): Promise<TaskResult<R>> {
    return this.operations.runNow(id) as Promise<TaskResult<R>>;
  }

  /** Makes every READY task matching `filter` that waits for its time due now (as `runNow`), a batch per statement; returns how many. */
  runNowMany(filter: TaskFilter, options?: BulkOptions): Promise<number> {
    return this.operations.runNowMany(filter, options);
  }

  /**
   * Cancels every READY, WAITING or RUNNING task matching `filter` (as `cancel`), a batch per
   * statement; returns how many were cancelled or asked to stop.
   */
  cancelMany(filter: TaskFilter, options?: BulkOptions): Promise<number> {
    return this.operations.cancelMany(filter, options);
  }

  /** Deletes every finished task matching `filter`, a batch per transaction; returns how many. */
  deleteMany(filter: TaskFilter, options?: BulkOptions): Promise<number> {
    return this.operations.deleteMany(filter, options);
  }

  /** How many tasks match `filter` (every status when it names none). */
  countTasks(filter?: TaskFilter): Promise<number> {
    return this.operations.count(filter);
  }

  /**
   * Up to `limit` (default 100) tasks matching `filter`, newest first; `cursor`, the id of the
   * last task of a page, gives the next (older) page.
   */
  listTasks(filter?: TaskFilter, options: { limit?: number; cursor?: string } = {}): Promise<TaskResult[]> {
    return this.operations.list(filter, options.limit, options.cursor);
  }

  /** The tasks of each queue, counted per status. */
  queueCounts(): Promise<QueueCounts[]> {
    return this.operations.queueCounts();
  }

  /** The live workers, as each records itself in the database (heartbeat not expired), by id. */
  listWorkers(): Promise<TaskWorkerInfo[]> {
    return this.operations.listWorkers();
  }

  /** Deletes finished results older than `olderThan`, in bounded batches; returns how many. */
  async prune(options: PruneOptions): Promise<number> {
    const { olderThan, batchSize = DEFAULT_PRUNE_BATCH } = options;
    if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
      throw new InvalidTaskError(`prune(): batchSize must be a positive integer, got ${String(batchSize)}.`);
    }
    let before: TaskTime;
    if (typeof olderThan === 'number' && Number.isFinite(olderThan) && olderThan >= 0) before = afterNow(-olderThan);
    else if (isStorableDate(olderThan)) before = { at: olderThan };
    else throw new InvalidTaskError('prune(): olderThan must be a valid Date or a number of milliseconds >= 0.');
    const statuses = (options.statuses ?? FINISHED_STATUSES) as TaskResultStatus[];
    for (const status of statuses) {
      if (!FINISHED_STATUSES.includes(status)) {
        throw new InvalidTaskError(`prune() deletes finished results only; ${status} is not a finished status.`);
      }
    }
    return this.backend.prune({ olderThan: before, statuses, queues: options.queues ?? null, batchSize });
  }

  /**
   * Creates or replaces the periodic schedule `id` of `call` (`call(Class, 'method', args)`):
   * exactly one run per tick across every worker process. Replacing keeps `paused`, and the next
   * tick unless `cron` or `timeZone` changed. `InvalidTaskError` for an unknown task, a bad
   * option, or an id that is another task's schedule; nothing is stored then.
   */
  schedule<R>(id: string, call: TaskCall<R>, options: ScheduleOptions): Promise<TaskSchedule> {
    return this.schedules.schedule(id, call, options);
  }

  /** Deletes schedule `id`; false if there was none. Runs already enqueued stay. */
  unschedule(id: string): Promise<boolean> {
    return this.schedules.unschedule(id);
  }

  /** Pauses schedule `id` in every process; `TaskScheduleNotFoundError` if there is none. */
  pauseSchedule(id: string): Promise<TaskSchedule> {
    return this.schedules.pause(id);
  }

  /** Resumes schedule `id` from its next tick after now (ticks missed while paused do not run). */
  resumeSchedule(id: string): Promise<TaskSchedule> {
    return this.schedules.resume(id);
  }

  /** Enqueues one run of schedule `id` now (paused or not); its `scheduledAt` is now. */
  triggerSchedule<R = unknown>(id: string): Promise<TaskResult<R>> {
    return this.schedules.trigger(id) as Promise<TaskResult<R>>;
  }

  /** Every schedule, static (`@Task({ cron })`, written at worker start) and stored, by id. */
  listSchedules(): Promise<TaskSchedule[]> {
    return this.schedules.list();
  }

  /**
   * Pauses queue `name` for every worker of the database, across restarts, until
   * `resumeQueue(name)`: no worker claims its tasks (those RUNNING finish). A name the module does
   * not declare (when it declares queues): `InvalidTaskError`, nothing stored.
   */
  pauseQueue(name: string): Promise<void> {
    return this.queueState.pause(name);
  }

  /** Lets workers claim queue `name` again. */
  resumeQueue(name: string): Promise<void> {
    return this.queueState.resume(name);
  }

  /** Every queue declared, paused or holding tasks, by name: paused, this module's limits and its tasks per status. */
  listQueues(): Promise<TaskQueueInfo[]> {
    return this.queueState.list();
  }

  /** The running task's context; throws `TaskContextError` outside a task. */
  context<R = unknown>(): TaskContext<R> {
    const context = taskContextStorage.getStore();
    if (!context) throw new TaskContextError('TaskService.context() was called outside a running task.');
    return context as TaskContext<R>;
  }

  private resolve(params: unknown[]): { definition: TaskDefinition; rest: unknown[] } {
    const [first, ...rest] = params;
    if (typeof first === 'string') {
      const definition = this.registry.get(first);
      if (!definition) throw new InvalidTaskError(`No task named "${first}". Known tasks: ${this.knownTasks()}.`);
      return { definition, rest };
    }
    const method = rest.shift();
    const definition = typeof first === 'function' ? this.registry.getByMethod(first as Type<unknown>, String(method)) : undefined;
    if (!definition) {
      const where = typeof first === 'function' ? `${first.name}.${String(method)}` : String(first);
      throw new InvalidTaskError(`${where} is not a task: mark the method with @Task() on a provider of a module. Known tasks: ${this.knownTasks()}.`);
    }
    return { definition, rest };
  }

  /** Every enqueue stores its rows through here and storeWorkflow: inside the telemetry's enqueue span. */
  private store(rows: NewTaskRow[], manager?: EntityManager): Promise<TaskResult[]> {
    if (!this.telemetry) return this.backend.enqueue(rows, manager);
    return this.telemetry.enqueue(rows, () => this.backend.enqueue(rows, manager));
  }

  private storeKeyed(tasks: KeyedTask[], throttleMs: number | null, manager?: EntityManager): Promise<TaskResult[]> {
    if (!this.telemetry) return this.backend.enqueueKeyed(tasks, throttleMs, manager);
    return this.telemetry.enqueue(tasks.map((task) => task.row), () => this.backend.enqueueKeyed(tasks, throttleMs, manager));
  }

  private storeWorkflow(tasks: NewWorkflowTask[], manager?: EntityManager): Promise<TaskResult[]> {
    if (!this.telemetry) return this.backend.enqueueWorkflow(tasks, manager);
    return this.telemetry.enqueue(tasks.map((task) => task.row), () => this.backend.enqueueWorkflow(tasks, manager));
  }

  private prepare(definition: TaskDefinition, args: unknown, options: EnqueueOptions, kwargs: unknown, enqueuedAt: Date, checkKey = true): NewTaskRow {
    const queueName = options.queueName ?? definition.queueName;
    if (this.queues && !this.queues.has(queueName)) {
      throw new InvalidTaskError(`Queue "${queueName}" of ${definition.name} is not one of the module's queues: ${[...this.queues].join(', ')}.`);
    }
    if (definition.limit && queueName !== definition.queueName) {
      // Its limit is enforced by the claims of its own queue, which alone count and order its runs.
      throw new InvalidTaskError(`${definition.name} has a globalConcurrency and runs in its own queue "${definition.queueName}" only, not "${queueName}".`);
    }
    const priority = options.priority === undefined ? definition.priority : validatePriority(options.priority, `enqueue(${definition.name})`);
    const maxAttempts = options.maxAttempts ?? definition.maxAttempts;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
      throw new InvalidTaskError(`enqueue(${definition.name}): maxAttempts must be an integer >= 1, got ${maxAttempts}.`);
    }
    const runAfter = this.runAfter(definition, options, enqueuedAt);
    const payload = encodeTaskPayload(definition.name, args, kwargs, this.maxPayloadSize);
    if (definition.limit && checkKey) {
      concurrencyKeyOf(definition.name, definition.limit, args as unknown[], kwargs as Record<string, unknown> | undefined);
    }
    const metadata = checkMetadata(options.metadata, `enqueue(${definition.name})`);
    return {
      metadata,
      metadataJson: metadata === null ? null : JSON.stringify(metadata),
      id: newTaskId(),
      taskName: definition.name,
      queueName,
      priority,
      args: payload.args,
      kwargs: payload.kwargs,
      backend: this.backend.name,
      runAfter,
      enqueuedAt,
      maxAttempts,
      values: { args: args as unknown[], kwargs: (kwargs ?? {}) as Record<string, unknown> },
    };
  }

  /** `runAfter` absolute, `delay` (or nothing: now) relative to the database's clock; both bounded by what every database stores. */
  private runAfter(definition: TaskDefinition, options: EnqueueOptions, enqueuedAt: Date): TaskTime {
    const where = `enqueue(${definition.name})`;
    if (options.runAfter !== undefined && options.delay !== undefined) {
      throw new InvalidTaskError(`${where}: give runAfter or delay, not both.`);
    }
    if (options.runAfter !== undefined) {
      if (!isStorableDate(options.runAfter)) {
        throw new InvalidTaskError(`${where}: runAfter must be a valid Date from the year 1 to 9999.`);
      }
      return { at: options.runAfter };
    }
    if (options.delay !== undefined) {
      const { delay } = options;
      if (typeof delay !== 'number' || !Number.isFinite(delay) || delay < 0 || enqueuedAt.getTime() + delay > LATEST_TIME) {
        throw new InvalidTaskError(`${where}: delay must be a number of milliseconds >= 0 ending before the year 10000, got ${String(delay)}.`);
      }
      return afterNow(delay);
    }
    return NOW;
  }

  /** The unique-task options of an enqueue, checked; a keyed task is not a workflow member. */
  private unique(definition: TaskDefinition, options: EnqueueOptions, where: string): UniqueEnqueue | null {
    const unique = uniqueOptions(options, where);
    if (unique && (options.dependsOn !== undefined || options.onDependencyFailure !== undefined)) {
      throw new InvalidTaskError(`${where}: a task with a key cannot have dependsOn or onDependencyFailure (${definition.name}).`);
    }
    return unique;
  }

  private knownTasks(): string {
    return this.registry.all().map((definition) => definition.name).join(', ') || 'none';
  }
}

/** A debounce's run time replaces `delay` (uniqueOptions refused it alongside runAfter or delay). */
function keyedOptions(options: EnqueueOptions, unique: UniqueEnqueue): EnqueueOptions {
  return unique.delayMs === null ? options : { ...options, delay: unique.delayMs };
}

function keyedTask(row: NewTaskRow, unique: UniqueEnqueue): KeyedTask {
  return { row: { ...row, uniqueKey: unique.key }, replace: unique.replace, maxWaitMs: unique.maxWaitMs };
}

function isStorableDate(value: unknown): value is Date {
  if (!(value instanceof Date)) return false;
  const time = value.getTime();
  return !Number.isNaN(time) && value.getUTCFullYear() >= 1 && time <= LATEST_TIME;
}
