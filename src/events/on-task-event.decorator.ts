import { TASK_EVENT_METADATA } from '../tasks.constants';
import type { OnTaskEventOptions, TaskEventName } from './task-event.types';

export interface TaskEventSubscription {
  event: TaskEventName;
  options: OnTaskEventOptions;
}

/**
 * Subscribes a provider method to a task event: it is called with the `TaskResult` as it is after
 * the change, once the change has committed, in the process that made it. It only records
 * metadata (several per method are allowed): the explorer finds the method at start-up.
 */
export function OnTaskEvent<T = any>(event: TaskEventName, options: OnTaskEventOptions<T> = {}): MethodDecorator {
  return (_target, _key, descriptor) => {
    const method = descriptor.value as object;
    const existing: TaskEventSubscription[] = Reflect.getMetadata(TASK_EVENT_METADATA, method) ?? [];
    Reflect.defineMetadata(TASK_EVENT_METADATA, [...existing, { event, options }], method);
    return descriptor;
  };
}
