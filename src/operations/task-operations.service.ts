import { Inject, Injectable } from '@nestjs/common';
import { TASK_WORKER_STORE, TASKS_MODULE_OPTIONS } from '../tasks.constants';
import type { WorkerStore } from '../interfaces/worker-store.interface';
import type { TasksModuleOptions } from '../interfaces/tasks-module-options.interface';
import type { OperationsDialect } from '../dialects/operations-dialect.interface';
import { mapTaskRow } from '../dialects/shared/task-row.mapper';
import { TaskResult } from '../entities/task-result.entity';
import { bindTaskResult } from '../entities/task-result.source';
import { TaskEvents } from '../task.events';
import { TaskResultStatus } from '../task-result-status.enum';
import { InvalidTaskError, TaskNotRetryableError, TaskKeyConflictError, TaskResultNotFoundError, TasksError } from '../task.errors';
import { isTaskId } from '../task-id';
import { listWorkers } from '../workers/worker-registry.store';
import type { TaskWorkerInfo } from '../workers/task-worker-info';
import { retryTask } from './task-retry';
import { runTaskNow } from './task-run-now';
import { cascadingIds, deleteBatches, runBatches } from './bulk-actions';
import { batchSize, BulkOptions, resolveFilter, TaskFilter } from './task-filter';

const { READY, WAITING, RUNNING, SUCCESSFUL, FAILED, CANCELLED } = TaskResultStatus;

/** Counts of one queue's tasks per status. */
export interface QueueCounts {
  queueName: string;
  counts: Partial<Record<TaskResultStatus, number>>;
}

/**
 * Retry, run now, the bulk actions, listings and the worker registry: the operating tools, on the
 * database backend's dialect. The in-memory backends keep no rows to act on.
 */
@Injectable()
export class TaskOperations {
  constructor(
    @Inject(TASK_WORKER_STORE) private readonly store: WorkerStore | null,
    @Inject(TASKS_MODULE_OPTIONS) private readonly options: TasksModuleOptions,
    private readonly events: TaskEvents,
  ) {}

  private db(where: string): OperationsDialect {
    if (!this.store) {
      throw new TasksError(`${where} acts on the rows of the database backend; this module uses the ${this.options.backend} backend.`);
    }
    return this.store.dialect.operations();
  }

  async retry(id: string, dependents: boolean): Promise<TaskResult> {
    const db = this.db('retry()');
    const outcome = isTaskId(id) ? await retryTask(db, id, dependents) : { kind: 'missing' as const };
    if (outcome.kind === 'missing') throw new TaskResultNotFoundError(id);
    if (outcome.kind === 'not-retryable') throw new TaskNotRetryableError(id, outcome.status, outcome.reason);
    if (outcome.kind === 'key-held') throw new TaskKeyConflictError(id, outcome.taskName, outcome.key, outcome.holderId);
    this.wake([outcome.queue]);
    [id, ...outcome.reopened].forEach((changed) => this.events.changed(changed));
    return this.load(id);
  }

  async retryMany(filter: TaskFilter, options?: BulkOptions): Promise<number> {
    const db = this.db('retryMany()');
    const resolved = resolveFilter(filter, 'retryMany()', [FAILED, CANCELLED]);
    const { count, queues } = await runBatches(db, db.statements.retryMany(resolved.shape), resolved,
      { size: batchSize(options, 'retryMany()'), onProgress: options?.onProgress, returning: db.statements.returnsRows });
    if (count > 0) this.wake(queues ? [...queues] : filter.queueName ? [filter.queueName] : null);
    return count;
  }

  async runNow(id: string): Promise<TaskResult> {
    const db = this.db('runNow()');
    const outcome = isTaskId(id) ? await runTaskNow(db, id) : { kind: 'missing' as const };
    if (outcome.kind === 'missing') throw new TaskResultNotFoundError(id);
    if (outcome.kind === 'not-ready') throw new TaskNotRetryableError(id, outcome.status, 'only a READY task waiting for its time can be run now');
    if (outcome.moved) {
      this.wake([outcome.queue]);
      this.events.changed(id);
    }
    return this.load(id);
  }

  async runNowMany(filter: TaskFilter, options?: BulkOptions): Promise<number> {
    const db = this.db('runNowMany()');
    const resolved = resolveFilter(filter, 'runNowMany()', [READY]);
    const { count, queues } = await runBatches(db, db.statements.runNowMany(resolved.shape), resolved,
      { size: batchSize(options, 'runNowMany()'), onProgress: options?.onProgress, returning: db.statements.returnsRows });
    if (count > 0) {
      this.wake(queues ? [...queues] : filter.queueName ? [filter.queueName] : null);
      this.events.changed(null);
    }
    return count;
  }

  /**
   * READY and WAITING tasks matching the filter become CANCELLED (those with dependents one by
   * one, their dependents with them); RUNNING ones have their cancellation requested, which
   * their worker hears at its next lease renewal. Returns how many were cancelled or asked to stop.
   */
  async cancelMany(filter: TaskFilter, options?: BulkOptions): Promise<number> {
    const db = this.db('cancelMany()');
    if (filter?.finishedBefore !== undefined) throw new InvalidTaskError('cancelMany() takes unfinished tasks: finishedBefore does not apply.');
    const resolved = resolveFilter(filter, 'cancelMany()', [READY, WAITING, RUNNING]);
    const size = batchSize(options, 'cancelMany()');
    const pending = { ...resolved, shape: { ...resolved.shape, statuses: resolved.shape.statuses.filter((status) => status !== RUNNING) } };
    let total = 0;
    const progress = (done: number) => options?.onProgress?.(done);
    if (pending.shape.statuses.length > 0) {
      total += (await runBatches(db, db.statements.cancelMany(pending.shape), pending, { size, onProgress: progress })).count;
      for (let ids = await cascadingIds(db, pending, size); ids.length > 0; ids = await cascadingIds(db, pending, size)) {
        for (const id of ids) {
          // A task claimed meanwhile is RUNNING: its cancellation is requested, and it leaves the batch.
          if ((await this.store!.dialect.cancel(id)) !== 'finished') total++;
        }
        progress(total);
        if (ids.length < size) break;
      }
    }
    if (resolved.shape.statuses.includes(RUNNING)) {
      const running = { ...resolved, shape: { ...resolved.shape, statuses: [RUNNING] } };
      total += (await runBatches(db, db.statements.requestCancelMany(running.shape), running, { size, onProgress: progress }, total)).count;
    }
    if (total > 0) this.events.changed(null);
    return total;
  }

  async deleteMany(filter: TaskFilter, options?: BulkOptions): Promise<number> {
    const db = this.db('deleteMany()');
    const resolved = resolveFilter(filter, 'deleteMany()', [SUCCESSFUL, FAILED, CANCELLED]);
    return deleteBatches(db, resolved, { size: batchSize(options, 'deleteMany()'), onProgress: options?.onProgress });
  }

  async count(filter: TaskFilter = {}): Promise<number> {
    const db = this.db('countTasks()');
    const resolved = resolveFilter(filter, 'countTasks()');
    const [row] = await db.all(db.statements.count(resolved.shape), resolved.values);
    return Number(row?.count ?? 0);
  }

  async list(filter: TaskFilter = {}, limit = 100, cursor?: string): Promise<TaskResult[]> {
    const db = this.db('listTasks()');
    const resolved = resolveFilter(filter, 'listTasks()');
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 10_000) {
      throw new InvalidTaskError(`listTasks(): limit must be an integer from 1 to 10000, got ${String(limit)}.`);
    }
    if (cursor !== undefined && (typeof cursor !== 'string' || cursor === '')) {
      throw new InvalidTaskError('listTasks(): cursor must be the id of a task of the previous page.');
    }
    const values = cursor === undefined ? [...resolved.values, limit] : [...resolved.values, cursor, limit];
    const rows = await db.all(db.statements.list(resolved.shape, cursor !== undefined), values);
    return rows.map((row) => bindTaskResult(Object.assign(new TaskResult(), mapTaskRow(row)), this.store!));
  }

  async queueCounts(): Promise<QueueCounts[]> {
    const db = this.db('queueCounts()');
    const byQueue = new Map<string, QueueCounts>();
    for (const row of await db.all(db.statements.queueCounts)) {
      const queueName = String(row.queue_name);
      const entry = byQueue.get(queueName) ?? { queueName, counts: {} };
      entry.counts[row.status as TaskResultStatus] = Number(row.count);
      byQueue.set(queueName, entry);
    }
    return [...byQueue.values()];
  }

  async listWorkers(): Promise<TaskWorkerInfo[]> {
    return listWorkers(this.db('listWorkers()'));
  }

  private async load(id: string): Promise<TaskResult> {
    const row = await this.store!.load(id);
    if (!row) throw new TaskResultNotFoundError(id);
    return bindTaskResult(Object.assign(new TaskResult(), row), this.store!);
  }

  /** Workers of this process wake at once; those of others through the dialect's push (PostgreSQL) or their commit watch or poll. */
  private wake(queues: string[] | null): void {
    if (queues === null) {
      this.events.enqueued(null);
      return;
    }
    queues.forEach((queue) => this.events.enqueued(queue));
    this.store!.dialect.announce?.(queues);
  }
}
