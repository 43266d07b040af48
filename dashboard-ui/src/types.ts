/** The API's answers, as the page reads them. */
export interface TaskProgress { current: number; total: number | null; message: string | null }
export interface TaskError { name: string; message: string; traceback: string; attempt: number; failedAt: string }

export interface TaskSummary {
  id: string; taskName: string; status: string; queueName: string; priority: number;
  enqueuedAt: string | null; runAfter: string | null; startedAt: string | null; finishedAt: string | null;
  attempts: number; maxAttempts: number; progress: TaskProgress | null; groupId: string | null;
  lastError: string | null; argsPreview: string;
}

export interface TaskDetail extends TaskSummary {
  args: unknown[]; kwargs: Record<string, unknown>; backend: string; lastAttemptedAt: string | null;
  errors: TaskError[]; workerIds: string[]; returnValue: unknown; metadata: Record<string, unknown> | null; duration: number | null;
  claimedBy: string | null; leaseExpiresAt: string | null; scheduledAt: string | null; cancelRequested: boolean;
  dependencies: TaskSummary[]; dependents: TaskSummary[];
}

export interface TaskList { tasks: TaskSummary[]; nextCursor: string | null }

export interface Percentiles { p50: number; p90: number; p99: number; max: number }
export interface Stats {
  windowMinutes: number; bucketSeconds: number;
  counts: { queueName: string; status: string; count: number }[];
  throughput: { secondsAgo: number; succeeded: number; failed: number }[];
  tasks: { taskName: string; finished: number; queueTimeMs: Percentiles; runTimeMs: Percentiles }[];
}

export interface Queue {
  name: string; counts: Record<string, number>; paused: boolean;
  globalConcurrency?: number; rateLimit?: { limit: number; interval: number };
}

export interface Schedule {
  id: string; taskName: string; isStatic: boolean; cron: string; timeZone: string; args: unknown[]; queueName: string | null;
  paused: boolean; nextRunAt: string; lastRunAt: string | null; lastTaskId: string | null;
}

export interface Worker {
  id: string; host: string; pid: number; queues: string[] | null; concurrency: number; running: number;
  startedAt: string; lastHeartbeatAt: string; expiresAt: string;
}

export const STATUSES = ['WAITING', 'READY', 'RUNNING', 'SUCCESSFUL', 'FAILED', 'CANCELLED'];
