export const TASKS_MODULE_OPTIONS = Symbol('TASKS_MODULE_OPTIONS');
export const TASK_METADATA = 'nestjs-tasks:task';
/** Injection token of the active backend (`database`, `immediate` or `dummy`). */
export const TASK_BACKEND = Symbol('TASK_BACKEND');

export const DEFAULT_QUEUE = 'default';
export const DEFAULT_MAX_PAYLOAD_SIZE = 1024 * 1024;
export const MIN_PRIORITY = -100;
export const MAX_PRIORITY = 100;
export const TASK_EVENT_METADATA = 'nestjs-tasks:task-event';
/** Injection token of the `WorkerStore` a worker runs tasks from (null without a database). */
export const TASK_WORKER_STORE = Symbol('TASK_WORKER_STORE');
