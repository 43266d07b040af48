import { Inject, Injectable, OnModuleInit, Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { InvalidTaskError } from '../task.errors';
import type { TaskContext } from '../task-context';
import type { TaskMiddleware, TaskMiddlewareEntry } from './task-middleware';

/** Injection token of the configured middleware entries (`TasksModule.forRoot({ middleware })`). */
export const TASK_MIDDLEWARE = Symbol('TASK_MIDDLEWARE');

/** The configured middleware, resolved once at start-up; `middleware[0]` is the outermost. */
@Injectable()
export class TaskMiddlewareChain implements OnModuleInit {
  private resolved: TaskMiddleware[] = [];
  private resolving?: Promise<void>;

  constructor(
    @Inject(TASK_MIDDLEWARE) private readonly entries: readonly TaskMiddlewareEntry[],
    private readonly moduleRef: ModuleRef,
  ) {
    entries.forEach(checkEntry);
  }

  /** True when there is no middleware: the executor then calls the task directly. */
  get empty(): boolean {
    return this.entries.length === 0;
  }

  onModuleInit(): Promise<void> {
    return (this.resolving ??= this.resolve());
  }

  /** Runs `task` inside the middleware; called with a context already entered. */
  async run(context: TaskContext, task: () => Promise<unknown>): Promise<unknown> {
    // A task enqueued on the immediate backend while the application is still starting.
    if (this.resolved.length < this.entries.length) await this.onModuleInit();
    const chain = this.resolved;
    const step = async (index: number): Promise<unknown> => {
      if (index < chain.length) return chain[index].use(context, () => step(index + 1));
      // The attempt timed out or was cancelled while middleware ran: the task does not start.
      if (context.signal.aborted) throw context.signal.reason;
      return task();
    };
    return step(0);
  }

  private async resolve(): Promise<void> {
    const resolved: TaskMiddleware[] = [];
    for (const entry of this.entries) resolved.push(typeof entry === 'function' ? await this.instantiate(entry) : entry);
    this.resolved = resolved;
  }

  private async instantiate(type: Type<TaskMiddleware>): Promise<TaskMiddleware> {
    let instance: TaskMiddleware | undefined;
    try {
      instance = this.moduleRef.get(type, { strict: false });
    } catch {
      // Not a provider of the application: created with its constructor's dependencies injected.
      instance = await this.moduleRef.create(type);
    }
    if (typeof instance?.use !== 'function') throw notMiddleware(type.name);
    return instance;
  }
}

function checkEntry(entry: TaskMiddlewareEntry, index: number): void {
  const valid = typeof entry === 'function' || (typeof entry === 'object' && entry !== null && typeof entry.use === 'function');
  if (!valid) throw notMiddleware(`middleware[${index}]`);
}

function notMiddleware(what: string): InvalidTaskError {
  return new InvalidTaskError(`TasksModule option middleware: ${what} is neither a class nor an object with a use(context, next) method.`);
}
