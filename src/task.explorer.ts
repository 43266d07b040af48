import { Injectable, OnModuleInit, Type } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { TASK_EVENT_METADATA, TASK_METADATA } from './tasks.constants';
import { TaskOptions } from './interfaces/task-options.interface';
import { TaskRegistry } from './task.registry';
import { InvalidTaskError } from './task.errors';
import { TaskEventBus } from './events/task-event.bus';
import type { TaskEventSubscription } from './events/on-task-event.decorator';
import { TASK_EVENT_NAMES } from './events/task-event.types';
import { cronDecoratorOf } from './schedules/nest-schedule';

interface FoundSubscription extends TaskEventSubscription {
  instance: Record<string, (...args: unknown[]) => unknown>;
  methodName: string;
  label: string;
}

/**
 * Walks the application's providers once at start-up: registers every `@Task()` method, then
 * subscribes every `@OnTaskEvent()` method (after all tasks are known, so its `task` is checked).
 */
@Injectable()
export class TaskExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly registry: TaskRegistry,
    private readonly bus: TaskEventBus,
  ) {}

  onModuleInit(): void {
    const subscriptions: FoundSubscription[] = [];
    for (const wrapper of this.discovery.getProviders()) {
      const { instance } = wrapper;
      // Request-scoped and not-yet-resolved providers have no single instance a worker could call.
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const prototype = Object.getPrototypeOf(instance);
      for (const methodName of this.scanner.getAllMethodNames(prototype)) {
        const options = this.reflector.get<TaskOptions | undefined>(TASK_METADATA, prototype[methodName]);
        if (options) {
          const cron = cronDecoratorOf(prototype[methodName]);
          if (cron) throw cronAndTaskError(instance.constructor.name, methodName, cron);
          this.registry.register(instance.constructor as Type<unknown>, methodName, instance, options);
        }
        const events = this.reflector.get<TaskEventSubscription[] | undefined>(TASK_EVENT_METADATA, prototype[methodName]);
        for (const subscription of events ?? []) {
          subscriptions.push({ ...subscription, instance, methodName, label: `${instance.constructor.name}.${methodName}` });
        }
      }
    }
    for (const subscription of subscriptions) this.subscribe(subscription);
  }

  private subscribe({ event, options, instance, methodName, label }: FoundSubscription): void {
    if (!TASK_EVENT_NAMES.includes(event)) {
      throw new InvalidTaskError(`@OnTaskEvent() on ${label}: unknown event ${JSON.stringify(event)}; one of ${TASK_EVENT_NAMES.join(', ')}.`);
    }
    this.bus.subscribe(event, this.taskName(options.task, label), (result) => instance[methodName](result), label);
  }

  private taskName(task: unknown, label: string): string | null {
    if (task === undefined) return null;
    if (typeof task === 'string') {
      if (this.registry.get(task)) return task;
      throw new InvalidTaskError(`@OnTaskEvent() on ${label}: no task is named "${task}".`);
    }
    if (Array.isArray(task) && task.length === 2 && typeof task[0] === 'function') {
      const definition = this.registry.getByMethod(task[0] as Type<unknown>, String(task[1]));
      if (definition) return definition.name;
      throw new InvalidTaskError(`@OnTaskEvent() on ${label}: ${(task[0] as Type<unknown>).name}.${String(task[1])} is not a @Task() method.`);
    }
    throw new InvalidTaskError(`@OnTaskEvent() on ${label}: option task must be a task name or [Class, 'method'].`);
  }
}

/** `@Cron()` fires on every instance of the application: a task's schedule belongs in `@Task()`. */
function cronAndTaskError(className: string, methodName: string, cron: { cronTime?: unknown; timeZone?: unknown }): InvalidTaskError {
  const expression = typeof cron.cronTime === 'string' ? cron.cronTime : '…';
  const zone = typeof cron.timeZone === 'string' ? cron.timeZone : 'UTC';
  return new InvalidTaskError(
    `${className}.${methodName} has both @Cron() and @Task(). @Cron() runs it in every process of the application, ` +
      `once per process and tick. Remove @Cron() and give the schedule to the task: @Task({ cron: '${expression}', timeZone: '${zone}' }) ` +
      'runs it once per tick across all processes.',
  );
}
