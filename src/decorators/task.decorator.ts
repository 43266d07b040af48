import { SetMetadata } from '@nestjs/common';
import { TASK_METADATA } from '../tasks.constants';
import { TaskOptions } from '../interfaces/task-options.interface';

/**
 * Marks a provider method as a task. It only records metadata: `TaskExplorer` finds the method
 * when the application starts, so the provider must be registered in a module.
 */
export function Task<A extends unknown[] = any[]>(options: TaskOptions<A> = {}) {
  // A concurrencyKey's parameters must be the method's leading ones.
  return SetMetadata(TASK_METADATA, options) as <M extends (...args: [...A, ...any[]]) => unknown>(
    target: object, propertyKey: string | symbol, descriptor: TypedPropertyDescriptor<M>) => void;
}
