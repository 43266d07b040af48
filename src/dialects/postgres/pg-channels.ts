/** Payload: the queue name of the new task(s). */
export const ENQUEUED_CHANNEL = 'nestjs_tasks';
/** Payload: comma-separated ids of tasks that reached a final status. */
export const FINISHED_CHANNEL = 'nestjs_tasks_done';
