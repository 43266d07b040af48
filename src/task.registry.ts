import { Injectable, Type } from '@nestjs/common';
import { TaskOptions, BackoffFunction } from './interfaces/task-options.interface';
import { DEFAULT_QUEUE } from './tasks.constants';
import { DuplicateTaskError, InvalidTaskError } from './task.errors';
import { validatePriority } from './task.validation';
import { validateSchedule, ValidSchedule } from './schedules/schedule-options';
import { encodeTaskPayload } from './serialization/task-payload';
import { TaskLimit, taskLimit } from './limits/task-limits';

export interface TaskDefinition {
  name: string;
  queueName: string;
  priority: number;
  maxAttempts: number;
  backoff?: number | BackoffFunction;
  timeout?: number;
  /** The class as written, for messages and for `enqueue(Class, 'method')`. */
  target: Type<unknown>;
  methodName: string;
  instance: Record<string, (...args: unknown[]) => unknown>;
  /** `@Task({ globalConcurrency, concurrencyKey })`, enforced by limited claims (src/limits). */
  limit?: TaskLimit;
  /** `@Task({ cron })`: the task's static schedule, with its arguments. */
  schedule?: ValidSchedule & { args: unknown[] };
}

/** Every `@Task()` found in the application, by stored name and by class + method. */
@Injectable()
export class TaskRegistry {
  private readonly byName = new Map<string, TaskDefinition>();
  private readonly byMethod = new Map<Type<unknown>, Map<string, TaskDefinition>>();

  register(target: Type<unknown>, methodName: string, instance: object, options: TaskOptions): TaskDefinition {
    const name = options.name ?? `${target.name}.${methodName}`;
    const existing = this.byName.get(name);
    if (existing) {
      throw new DuplicateTaskError(
        `Two tasks are named "${name}": ${existing.target.name}.${existing.methodName} and ${target.name}.${methodName}. ` +
          'Give one of them another name with @Task({ name }).',
      );
    }
    const maxAttempts = options.maxAttempts ?? 1;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
      throw new InvalidTaskError(`@Task() on ${target.name}.${methodName}: maxAttempts must be an integer >= 1, got ${maxAttempts}.`);
    }
    if (options.timeout !== undefined && !(options.timeout > 0)) {
      throw new InvalidTaskError(`@Task() on ${target.name}.${methodName}: timeout must be a positive number of ms, got ${options.timeout}.`);
    }
    const schedule = options.cron === undefined ? undefined : this.staticSchedule(target, methodName, options);
    const limit = taskLimit(`@Task() on ${target.name}.${methodName}`, options);
    const definition: TaskDefinition = {
      name,
      queueName: options.queueName ?? DEFAULT_QUEUE,
      priority: validatePriority(options.priority ?? 0, `@Task() on ${target.name}.${methodName}`),
      maxAttempts,
      backoff: options.backoff,
      timeout: options.timeout,
      target,
      methodName,
      instance: instance as TaskDefinition['instance'],
      schedule,
      limit,
    };
    this.byName.set(name, definition);
    let methods = this.byMethod.get(target);
    if (!methods) this.byMethod.set(target, (methods = new Map()));
    methods.set(methodName, definition);
    return definition;
  }

  private staticSchedule(target: Type<unknown>, methodName: string, options: TaskOptions): TaskDefinition['schedule'] {
    const where = `@Task() on ${target.name}.${methodName}`;
    const args = options.args ?? [];
    if (!Array.isArray(args)) throw new InvalidTaskError(`${where}: args must be an array of the scheduled runs' arguments.`);
    encodeTaskPayload(where, args, undefined, Infinity);
    // The task's own queueName and priority apply to its runs: the schedule stores none.
    return { ...validateSchedule(where, { cron: options.cron, timeZone: options.timeZone, backfill: options.backfill, overlap: options.overlap }), args };
  }

  get(name: string): TaskDefinition | undefined {
    return this.byName.get(name);
  }

  getByMethod(target: Type<unknown>, methodName: string): TaskDefinition | undefined {
    return this.byMethod.get(target)?.get(methodName);
  }

  all(): TaskDefinition[] {
    return [...this.byName.values()];
  }
}
