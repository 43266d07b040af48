import type { Type } from '@nestjs/common';
import type { TaskArgs, TaskMethodName, TaskReturn } from '../interfaces/task-types';

/** A task and its arguments, not enqueued: what `TaskService.schedule()` runs at each tick. */
export interface TaskCall<R = unknown> {
  /** The class of a `@Task()` method, or a task's stored name. */
  readonly target: Type<unknown> | string;
  /** The method, when `target` is a class. */
  readonly method?: string;
  readonly args: readonly unknown[];
  /** Carries the return type only. */
  readonly __returns?: R;
}

/** `instance.method(...args)` of a `@Task()` method, typed from the method; nothing is enqueued. */
export function call<T, K extends TaskMethodName<T>>(target: Type<T>, method: K, args: TaskArgs<T, K>): TaskCall<TaskReturn<T, K>>;
/** A task by its stored name. */
export function call<R = unknown>(name: string, args: unknown[]): TaskCall<R>;
export function call(target: Type<unknown> | string, methodOrArgs: unknown, args?: unknown): TaskCall {
  return typeof target === 'string'
    ? { target, args: methodOrArgs as unknown[] }
    : { target, method: String(methodOrArgs), args: args as unknown[] };
}
