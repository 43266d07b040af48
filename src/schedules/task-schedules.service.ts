import { Inject, Injectable, Logger, Type } from '@nestjs/common';
import { resolveQueues } from '../limits/queue-limits';
import { ModuleRef } from '@nestjs/core';
import type { TaskResult } from '../entities/task-result.entity';
import type { TaskBackend } from '../backends/task-backend.interface';
import { DatabaseBackend } from '../backends/database.backend';
import type { NewTaskRow } from '../dialects/task-dialect.interface';
import type { TasksModuleOptions } from '../interfaces/tasks-module-options.interface';
import { TaskDefinition, TaskRegistry } from '../task.registry';
import { DEFAULT_MAX_PAYLOAD_SIZE, TASK_BACKEND, TASKS_MODULE_OPTIONS } from '../tasks.constants';
import { InvalidTaskError, TaskScheduleNotFoundError } from '../task.errors';
import { encodeTaskPayload } from '../serialization/task-payload';
import { newTaskId } from '../task-id';
import { NOW } from '../core/task-time';
import { TaskCall } from '../workflows/task-call';
import { CronTicks } from './cron-ticks';
import { DatabaseScheduleStore } from './database-schedule.store';
import { MemoryScheduleStore } from './memory-schedule.store';
import { findNestSchedulerRegistry } from './nest-schedule';
import { validateSchedule } from './schedule-options';
import type { ScheduleStore } from './schedule.store';
import type { ScheduleOptions, TaskSchedule } from './task-schedule.interface';
import { TaskScheduler } from './task.scheduler';

/** The longest schedule id every database keys (MySQL's utf8mb4 index limit). */
const MAX_ID_LENGTH = 191;

/**
 * Periodic tasks: the schedules behind `TaskService.schedule()` and friends, the static
 * schedules of `@Task({ cron })`, and the scheduler each worker process runs.
 */
@Injectable()
export class TaskSchedules {
  private readonly logger = new Logger('TaskScheduler');
  private storeInstance?: ScheduleStore;
  private readonly maxPayloadSize: number;
  private readonly queues?: ReadonlySet<string>;

  constructor(
    @Inject(TASK_BACKEND) private readonly backend: TaskBackend,
    private readonly registry: TaskRegistry,
    @Inject(TASKS_MODULE_OPTIONS) options: TasksModuleOptions,
    private readonly moduleRef: ModuleRef,
  ) {
    this.maxPayloadSize = options.maxPayloadSize ?? DEFAULT_MAX_PAYLOAD_SIZE;
    const { names } = resolveQueues(options.queues);
    this.queues = names ? new Set(names) : undefined;
  }

  private get store(): ScheduleStore {
    return (this.storeInstance ??= this.backend instanceof DatabaseBackend
      ? new DatabaseScheduleStore(this.backend)
      : new MemoryScheduleStore(this.backend));
  }

  async schedule(id: string, call: TaskCall, options: ScheduleOptions): Promise<TaskSchedule> {
    const where = `schedule(${JSON.stringify(id)})`;
    if (typeof id !== 'string' || id === '' || id.length > MAX_ID_LENGTH) {
      throw new InvalidTaskError(`schedule(): the id must be a non-empty string of at most ${MAX_ID_LENGTH} characters, got ${JSON.stringify(id)}.`);
    }
    const definition = this.resolve(where, call);
    if (options === null || typeof options !== 'object') throw new InvalidTaskError(`${where}: options with at least cron are required.`);
    const valid = validateSchedule(where, options);
    const queueName = valid.queueName ?? definition.queueName;
    if (this.queues && !this.queues.has(queueName)) {
      throw new InvalidTaskError(`${where}: queue "${queueName}" is not one of the module's queues: ${[...this.queues].join(', ')}.`);
    }
    const args = call.args as unknown[];
    encodeTaskPayload(definition.name, args, undefined, this.maxPayloadSize);
    const existing = await this.store.find(id);
    if (existing?.isStatic) {
      throw new InvalidTaskError(`${where}: "${id}" is the static schedule of @Task({ cron }) on ${existing.taskName}; change the decorator, or choose another id.`);
    }
    if (existing && existing.taskName !== definition.name) {
      throw new InvalidTaskError(`${where}: the id is already the schedule of task ${existing.taskName}, not ${definition.name}; unschedule it first, or choose another id.`);
    }
    const now = await this.store.now();
    await this.store.save({
      id, taskName: definition.name, isStatic: false, cron: valid.cron, timeZone: valid.timeZone, args,
      queueName: valid.queueName, priority: valid.priority, backfill: valid.backfill, overlap: valid.overlap,
    }, valid.ticks.after(now));
    return (await this.store.find(id))!;
  }

  /** Deletes the schedule; false if there was none. Runs already enqueued stay. */
  unschedule(id: string): Promise<boolean> {
    return this.store.remove(id);
  }

  async pause(id: string): Promise<TaskSchedule> {
    if (!(await this.store.pause(id))) throw new TaskScheduleNotFoundError(id);
    return (await this.store.find(id))!;
  }

  /** Unpauses: the next tick after now runs; ticks missed while paused do not. */
  async resume(id: string): Promise<TaskSchedule> {
    const schedule = await this.store.find(id);
    if (!schedule) throw new TaskScheduleNotFoundError(id);
    if (schedule.paused) await this.store.resume(id, new CronTicks(schedule.cron, schedule.timeZone).after(await this.store.now()));
    return (await this.store.find(id))!;
  }

  /** Enqueues one run now, whether paused or not; it counts as the schedule's latest run (overlap). */
  async trigger(id: string): Promise<TaskResult> {
    const schedule = await this.store.find(id);
    if (!schedule) throw new TaskScheduleNotFoundError(id);
    const definition = this.registry.get(schedule.taskName);
    if (!definition) throw new InvalidTaskError(`triggerSchedule(${JSON.stringify(id)}): no task named "${schedule.taskName}" in this application.`);
    const now = await this.store.now();
    return this.store.trigger(id, this.runRow(schedule, definition, now), now);
  }

  list(): Promise<TaskSchedule[]> {
    return this.store.list();
  }

  find(id: string): Promise<TaskSchedule | null> {
    return this.store.find(id);
  }

  /**
   * The scheduler of a worker process, or null with an in-memory backend (nothing ticks there).
   * `logger`: the worker's.
   */
  createScheduler(logger: Logger = this.logger): TaskScheduler | null {
    const store = this.store;
    if (!(store instanceof DatabaseScheduleStore)) return null;
    return new TaskScheduler(store, this.registry, {
      syncStatic: () => this.syncStatic(),
      runRow: (schedule, definition, tick) => this.runRow(schedule, definition, tick),
    }, logger, findNestSchedulerRegistry(this.moduleRef));
  }

  /**
   * Writes the static schedules of this application's tasks (`@Task({ cron })`): created, or
   * replaced keeping `paused` (and the next tick, unless the expression or zone changed). A
   * static schedule of a task that this application defines without `cron` any more is deleted;
   * one of a task it does not define at all is left to the application that does.
   */
  async syncStatic(): Promise<void> {
    const now = await this.store.now();
    for (const definition of this.registry.all()) {
      const schedule = definition.schedule;
      if (!schedule) continue;
      await this.store.save({
        id: definition.name, taskName: definition.name, isStatic: true, cron: schedule.cron, timeZone: schedule.timeZone,
        args: schedule.args, queueName: null, priority: null, backfill: schedule.backfill, overlap: schedule.overlap,
      }, schedule.ticks.after(now));
    }
    for (const stored of await this.store.list()) {
      if (!stored.isStatic || this.registry.get(stored.id)?.schedule || !this.registry.get(stored.id)) continue;
      await this.store.remove(stored.id);
      this.logger.log(`Removed the static schedule of ${stored.id}: its @Task() has no cron any more.`);
    }
  }

  /** The task row of one run of `schedule` for `tick`. */
  private runRow(schedule: TaskSchedule, definition: TaskDefinition, tick: Date): NewTaskRow {
    // The tick in `metadata` too, where queries over any task's metadata find it.
    const metadata = { schedule: schedule.id, scheduledAt: tick.toISOString() };
    return {
      id: newTaskId(),
      taskName: definition.name,
      queueName: schedule.queueName ?? definition.queueName,
      priority: schedule.priority ?? definition.priority,
      args: JSON.stringify(schedule.args),
      kwargs: '{}',
      backend: this.backend.name,
      runAfter: NOW,
      enqueuedAt: new Date(),
      maxAttempts: definition.maxAttempts,
      scheduledAt: tick,
      values: { args: schedule.args, kwargs: {} },
      metadata,
      metadataJson: JSON.stringify(metadata),
    };
  }

  private resolve(where: string, call: TaskCall): TaskDefinition {
    if (!(call instanceof TaskCall)) {
      throw new InvalidTaskError(`${where}: the task to run must be given as call(Class, 'method', args).`);
    }
    if (Object.keys(call.options).length > 0) {
      throw new InvalidTaskError(`${where}: give a schedule's queueName and priority in the options of schedule(), not of call().`);
    }
    const { target, method } = call.to;
    const definition = typeof target === 'string' ? this.registry.get(target) : this.registry.getByMethod(target, String(method));
    if (!definition) {
      const name = typeof target === 'string' ? `"${target}"` : `${target?.name}.${String(method)}`;
      throw new InvalidTaskError(`${where}: ${name} is not a task: mark the method with @Task() on a provider of a module.`);
    }
    return definition;
  }
}
