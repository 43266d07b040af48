import type { Type } from '@nestjs/common';
import type { TaskMethodName } from '../interfaces/task-types';

/**
 * What happened to a task: `enqueued`, an attempt `started`, `progress` recorded, a failed attempt
 * with attempts left (`retrying`), the outcome (`succeeded`, `failed`, `cancelled`, each followed
 * by `finished`), and a lease `rescued` from a worker that stopped renewing it.
 */
export type TaskEventName =
  | 'enqueued'
  | 'started'
  | 'progress'
  | 'retrying'
  | 'succeeded'
  | 'failed'
  | 'cancelled'
  | 'rescued'
  | 'finished';

export const TASK_EVENT_NAMES: readonly TaskEventName[] = [
  'enqueued', 'started', 'progress', 'retrying', 'succeeded', 'failed', 'cancelled', 'rescued', 'finished',
];

export interface OnTaskEventOptions<T = any> {
  /** Only this task: its stored name, or `[Class, 'method']` of its `@Task()` method. */
  task?: string | readonly [Type<T>, TaskMethodName<T>];
}
