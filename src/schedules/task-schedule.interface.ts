/** Options of a periodic task, in `@Task({ cron, … })` and `TaskService.schedule()`. */
export interface ScheduleOptions {
  /** The syntax of the `cron` package (as `@Cron()`): 5 fields, or 6 with seconds first. */
  cron: string;
  /** IANA zone whose wall clock the expression follows; default `'UTC'`. */
  timeZone?: string;
  /** Milliseconds: ticks missed within this window while no scheduler ran are enqueued once each; default 0. */
  backfill?: number;
  /** `false`: skip a tick while the schedule's previous run is READY or RUNNING; default `true`. */
  overlap?: boolean;
  /** Default: the task's queue. */
  queueName?: string;
  /** Default: the task's priority. */
  priority?: number;
}

/** One schedule, as `TaskService.listSchedules()` returns it. */
export interface TaskSchedule {
  /** A static schedule's id is its task name. */
  id: string;
  taskName: string;
  /** Declared with `@Task({ cron })` (synced at worker start), rather than by `schedule()`. */
  isStatic: boolean;
  cron: string;
  timeZone: string;
  args: unknown[];
  queueName: string | null;
  priority: number | null;
  backfill: number;
  overlap: boolean;
  paused: boolean;
  /** The next tick to enqueue. */
  nextRunAt: Date;
  /** The tick of the last run enqueued (or the time of the last `triggerSchedule()`). */
  lastRunAt: Date | null;
  lastTaskId: string | null;
  createdAt: Date;
  updatedAt: Date;
}
