import type { TaskDialect } from '../dialects/task-dialect.interface';
import type { TaskResultSource } from '../entities/task-result.source';

/**
 * What a worker needs of the backend: the dialect of the database it runs tasks from, and the
 * source its results reload from. Provided under `TASK_WORKER_STORE` by the database backend;
 * null for the in-memory backends, which run nothing (dummy) or run tasks inside `enqueue`.
 */
export interface WorkerStore extends TaskResultSource {
  readonly dialect: TaskDialect;
}
