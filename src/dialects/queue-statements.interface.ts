/**
 * The named statements of paused queues (table task_queues, src/queues) for one database, the
 * same names in every dialect, run through `TaskDialect.transaction`. Parameters are positional,
 * in the order of each comment.
 */
export interface QueueStatements {
  /** name: the queue's row, paused (created if missing). */
  pause: string;
  /** name: the queue's row, not paused (created if missing, so a resume is never lost to a race with its creation). */
  resume: string;
  /** The stored queues: name, paused (0/1 or boolean). */
  list: string;
  /** Every queue's tasks per status: queue_name, status, count. */
  counts: string;
}
