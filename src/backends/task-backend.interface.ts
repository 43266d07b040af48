import type { EntityManager } from 'typeorm';
import type { TaskResult } from '../entities/task-result.entity';
import type { TaskResultSource } from '../entities/task-result.source';
import type { NewTaskRow, NewWorkflowTask, PruneRequest } from '../dialects/task-dialect.interface';
import type { TaskBackendName } from '../interfaces/tasks-module-options.interface';
import type { KeyedTask } from '../uniqueness/uniqueness-dialect.interface';

/** Where enqueued tasks go: the database (for workers), or memory (`immediate`, `dummy`). */
export interface TaskBackend extends TaskResultSource {
  readonly name: TaskBackendName;
  enqueue(rows: NewTaskRow[], manager?: EntityManager): Promise<TaskResult[]>;
  /** Throws `TaskResultNotFoundError` for an unknown id. */
  getResult(id: string): Promise<TaskResult>;
  /** Cancels a READY task, or asks a RUNNING one to stop; returns the task as it is then. */
  cancel(id: string): Promise<TaskResult>;
  /** Deletes finished results in batches; returns how many. */
  prune(request: PruneRequest): Promise<number>;
  /**
   * Stores the tasks of a workflow and their dependency edges, all or nothing (in `manager`'s
   * transaction when given); an unknown dependency is InvalidTaskError.
   */
  enqueueWorkflow(tasks: NewWorkflowTask[], manager?: EntityManager): Promise<TaskResult[]>;
  /** The members of group or chain `groupId` by position, the chord callback (position -1) first. */
  groupResults(groupId: string): Promise<{ position: number; result: TaskResult }[]>;
  /**
   * Enqueues each task under its key, in order and all or nothing (in `manager`'s transaction when
   * given): an existing pending task holding the key is returned (`deduplicated`), replaced first
   * when asked; with `throttleMs`, an enqueue inside the key's window resolves with the accepted
   * task instead (TaskThrottledError if it is gone).
   */
  enqueueKeyed(tasks: KeyedTask[], throttleMs: number | null, manager?: EntityManager): Promise<TaskResult[]>;
  /** The READY or WAITING task holding `key` of `taskName`, or null. */
  pendingByKey(taskName: string, key: string): Promise<TaskResult | null>;
}
