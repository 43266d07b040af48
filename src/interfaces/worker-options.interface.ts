export interface WorkerOptions {
  /** Queues to take tasks from; `'*'` for all. Default `['default']`. */
  queues?: string[] | '*';
  /** Tasks run at once by this worker; default 10. */
  concurrency?: number;
  /** Milliseconds between polls when idle; default 1000. */
  pollInterval?: number;
  /** Run what is due, then stop. */
  batch?: boolean;
  /** Stop after claiming this many tasks. */
  maxTasks?: number;
  /** Default `host:pid:random`. */
  workerId?: string;
  /** Milliseconds running tasks get to finish after a stop signal; default 30 000. */
  shutdownTimeout?: number;
  /** Milliseconds a claim stays valid without renewal; default 30 000. */
  leaseDuration?: number;
  /** Delete results of this worker's queues finished more than this many ms ago, while it runs; default: keep everything. */
  pruneAfter?: number;
  /** Milliseconds between the worker's heartbeats in the worker registry (task_workers); default 10 000. */
  heartbeatInterval?: number;
  /** Run the scheduler of periodic tasks in this worker (`--no-scheduler`: false); default true. Not in `batch` runs. */
  scheduler?: boolean;
}
