import type { Type } from '@nestjs/common';
import type { TaskContext } from '../task-context';

/**
 * Runs around every attempt of every task, inside its context: `next()` runs the next middleware
 * or, for the last one, the task itself, and resolves with the task's return value. What `use`
 * resolves with is the attempt's return value; what it throws fails the attempt as the task's
 * own error would. Its time counts toward the task's `timeout`.
 */
export interface TaskMiddleware {
  use(context: TaskContext, next: () => Promise<unknown>): Promise<unknown>;
}

/** A middleware class (resolved from the application's providers, else created) or an instance. */
export type TaskMiddlewareEntry = Type<TaskMiddleware> | TaskMiddleware;
