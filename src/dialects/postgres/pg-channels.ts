/** Payload: the queue name of the new task(s). */
export const ENQUEUED_CHANNEL = 'nestjs_tasks';
/** Payload: comma-separated ids of tasks that reached a final status. Sent only while another process waits (see FinishInterest). */
export const FINISHED_CHANNEL = 'nestjs_tasks_done';
/** Payload: the id of a process's FinishInterest: it waits for finishes of tasks other processes may run. */
export const WANTED_CHANNEL = 'nestjs_tasks_wanted';
