import type { Type } from '@nestjs/common';
import type { TaskArgs, TaskMethodName, TaskReturn } from '../interfaces/task-types';

/** The enqueue options that make sense for a task inside a workflow. */
export interface CallOptions {
  priority?: number;
  queueName?: string;
  maxAttempts?: number;
  /** A JSON object stored on the row (`result.metadata`), queryable. */
  metadata?: Record<string, unknown>;
  /** Milliseconds, counted from the moment the task may run (its dependencies done). */
  delay?: number;
  /** What a failed or cancelled dependency does to this task: `'cancel'` (default) or `'run'` anyway. */
  onDependencyFailure?: 'cancel' | 'run';
}

/** A `pipe()` step always ends cancelled when what runs before it fails. */
export type PipeOptions = Omit<CallOptions, 'onDependencyFailure'>;

/** Where a call points: a class and method, or a task's stored name. */
export interface CallTarget {
  target: Type<unknown> | string;
  method?: string;
}

/** A task not enqueued yet, with all its arguments (`call()`), resolving to `R`. */
export class TaskCall<R = unknown> {
  readonly kind = 'call' as const;
  /** Type only: what the task resolves to. */
  declare readonly returns?: () => R;

  constructor(readonly to: CallTarget, readonly args: readonly unknown[], readonly options: CallOptions = {}) {}
}

/**
 * A task not enqueued yet that receives its first argument from what runs before it (`pipe()`):
 * the previous step of a chain, or a chord's member values in order. `In` is what that first
 * parameter accepts.
 */
export class PipeCall<In = unknown, R = unknown> {
  readonly kind = 'pipe' as const;
  /** Type only: what the task takes first (contravariant) … */
  declare readonly receives?: (value: In) => void;
  /** … and what it resolves to. */
  declare readonly returns?: () => R;

  constructor(readonly to: CallTarget, readonly args: readonly unknown[], readonly options: PipeOptions = {}) {}
}

/** Any step of a workflow. */
export type WorkflowCall = TaskCall<unknown> | PipeCall<never, unknown>;

/** Every parameter but the first. */
export type RestArgs<A> = A extends [unknown, ...infer Rest] ? Rest : A extends [unknown?, ...infer Rest] ? Rest : never;
/** The first parameter. */
export type FirstArg<A> = A extends [infer First, ...unknown[]] ? First : A extends [(infer First)?, ...unknown[]] ? First | undefined : never;

/** `instance.method(...args)` of a `@Task()` method, not enqueued yet: typed like `enqueue()`. */
export function call<T, K extends TaskMethodName<T>>(
  target: Type<T>, method: K, args: TaskArgs<T, K>, options?: CallOptions,
): TaskCall<TaskReturn<T, K>>;
/** A task by its stored name. */
export function call<R = unknown>(name: string, args: unknown[], options?: CallOptions): TaskCall<R>;
export function call(...params: unknown[]): TaskCall {
  const [to, rest] = target(params);
  const [args, options] = rest as [unknown[], CallOptions | undefined];
  return new TaskCall(to, args, options);
}

/**
 * `instance.method(received, ...args)`: the first argument comes from what runs before it, the
 * rest are given here. A step whose first parameter cannot take that value does not compile.
 */
export function pipe<T, K extends TaskMethodName<T>>(
  target: Type<T>, method: K, args: RestArgs<TaskArgs<T, K>>, options?: PipeOptions,
): PipeCall<FirstArg<TaskArgs<T, K>>, TaskReturn<T, K>>;
/** A task by its stored name. */
export function pipe<In = unknown, R = unknown>(name: string, args: unknown[], options?: PipeOptions): PipeCall<In, R>;
export function pipe(...params: unknown[]): PipeCall {
  const [to, rest] = target(params);
  const [args, options] = rest as [unknown[], PipeOptions | undefined];
  return new PipeCall(to, args, options);
}

function target(params: unknown[]): [CallTarget, unknown[]] {
  const [first, ...rest] = params;
  if (typeof first === 'string') return [{ target: first }, rest];
  const method = rest.shift();
  return [{ target: first as Type<unknown>, method: method as string }, rest];
}

/** The values a group's members resolve to, in order. */
export type GroupValues<C extends readonly unknown[]> = { -readonly [I in keyof C]: C[I] extends TaskCall<infer R> ? R : never };

/** A chain step after a step resolving to `Prev`: a call, or a pipe that takes `Prev`. */
export type ChainStep<Prev, R> = TaskCall<R> | PipeCall<Prev, R>;
