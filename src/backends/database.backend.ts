import { OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource, EntityManager, EntitySubscriberInterface, TransactionCommitEvent, TransactionRollbackEvent } from 'typeorm';
import { TaskResult } from '../entities/task-result.entity';
import type { TaskRow } from '../core/task-row';
import { bindTaskResult, clearFallbackTaskResultSource, setFallbackTaskResultSource } from '../entities/task-result.source';
import { createDialect } from '../dialects/create-dialect';
import type { NewTaskRow, NewWorkflowTask, PruneRequest, TaskDialect } from '../dialects/task-dialect.interface';
import * as workflows from '../dialects/shared/workflow.store';
import { TaskResultStatus } from '../task-result-status.enum';
import { TaskEvents } from '../task.events';
import { TaskResultNotFoundError } from '../task.errors';
import { isTaskId } from '../task-id';
import type { WorkerStore } from '../interfaces/worker-store.interface';
import type { TaskEventBus } from '../events/task-event.bus';
import type { TaskBackend } from './task-backend.interface';
import { newTaskResult } from './new-task-result';
import { AfterCommitQueue } from './after-commit.queue';
import type { KeyedTask } from '../uniqueness/uniqueness-dialect.interface';
import { enqueueKeyed, pendingByKey } from '../uniqueness/keyed.store';

const CANCEL_EVENTS = ['cancelled', 'finished'] as const;

/** Tasks stored in the application's database, run by workers. */
export class DatabaseBackend implements TaskBackend, OnModuleInit, OnApplicationShutdown {
  readonly name = 'database' as const;
  private dialectInstance?: TaskDialect;
  private dataSource?: DataSource;
  /** Wake-ups and `enqueued` events wait for the caller's transaction to commit. */
  private readonly afterCommit = new AfterCommitQueue();
  private stopListening?: () => Promise<void>;

  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly events: TaskEvents,
    private readonly bus: TaskEventBus,
    private readonly dataSourceName?: string,
  ) {}

  async onModuleInit(): Promise<void> {
    this.dataSource = this.moduleRef.get<DataSource>(getDataSourceToken(this.dataSourceName) as string, { strict: false });
    this.dialectInstance = createDialect(this.dataSource);
    // Dependents released by a finish in this process wake its workers at once.
    this.dialectInstance.released = (queue) => this.events.enqueued(queue);
    this.dialectInstance.cascaded = (ids) => void this.announceCascade(ids);
    await this.dialectInstance.checkSchema();
    this.dataSource.subscribers.push(this.subscriber());
    if (this.dialectInstance.listen) {
      this.stopListening = await this.dialectInstance.listen((queue) => this.events.enqueued(queue), (id) => this.events.changed(id));
    }
    setFallbackTaskResultSource(this);
  }

  /**
   * Not onModuleDestroy: Nest runs that before beforeApplicationShutdown, where TaskWorker lets
   * running tasks finish and records their outcomes through this dialect.
   */
  async onApplicationShutdown(): Promise<void> {
    clearFallbackTaskResultSource(this);
    await this.stopListening?.();
    await this.dialectInstance?.close();
  }

  /**
   * What a worker needs of this backend, as a plain object: provided on its own, the backend
   * itself would have its lifecycle hooks run a second time.
   */
  workerStore(): WorkerStore {
    const backend = this;
    return {
      get dialect() {
        return backend.dialect;
      },
      load: (id) => backend.load(id),
      waitForChange: (id, ms, signal) => backend.waitForChange(id, ms, signal),
      dependencyIds: (id) => backend.dependencyIds(id),
      dependentIds: (id) => backend.dependentIds(id),
      forget: (id) => backend.forget(id),
    };
  }

  /** The DataSource the tasks are stored in, for readers of the table such as the dashboard. */
  get connection(): DataSource {
    if (!this.dataSource) throw new Error('TasksModule is not initialised yet: read tasks after the application has started.');
    return this.dataSource;
  }

  get dialect(): TaskDialect {
    if (!this.dialectInstance) throw new Error('TasksModule is not initialised yet: enqueue after the application has started.');
    return this.dialectInstance;
  }

  async enqueue(rows: NewTaskRow[], manager?: EntityManager): Promise<TaskResult[]> {
    await this.dialect.insert(rows, manager);
    const results = rows.map((row) => newTaskResult(row, this));
    const announce = this.announcement(rows, results);
    const runner = manager?.queryRunner;
    // Waking a worker before the commit would only make it find nothing.
    if (runner?.isTransactionActive) this.afterCommit.defer(runner, announce);
    else announce();
    return results;
  }

  /**
   * Rows inserted and committed by another statement of this package (a schedule's tick, in the
   * transaction of its compare-and-set): announced as `enqueue` announces its own.
   */
  inserted(rows: NewTaskRow[]): TaskResult[] {
    const results = rows.map((row) => newTaskResult(row, this));
    this.announcement(rows, results)();
    return results;
  }

  async enqueueWorkflow(tasks: NewWorkflowTask[], manager?: EntityManager): Promise<TaskResult[]> {
    const stored = await workflows.insertWorkflow(this.dialect, tasks, manager);
    const rows = tasks.map((task) => task.row);
    const results = rows.map((row, index) => {
      const result = newTaskResult(row, this);
      const { status, args, error } = stored[index];
      result.status = status;
      if (args) result.args = args;
      if (error) {
        result.errors = [error];
        result.finishedAt = new Date();
      }
      return result;
    });
    const ready = rows.filter((_, index) => stored[index].status === TaskResultStatus.READY);
    const announceHere = this.announcement(ready, results);
    const announce = () => {
      announceHere();
      this.dialect.announce?.([...new Set(ready.map((row) => row.queueName))]);
    };
    const runner = manager?.queryRunner;
    if (runner?.isTransactionActive) this.afterCommit.defer(runner, announce);
    else announce();
    return results;
  }

  async enqueueKeyed(tasks: KeyedTask[], throttleMs: number | null, manager?: EntityManager): Promise<TaskResult[]> {
    const outcomes = await enqueueKeyed(this.dialect.uniqueness(), tasks, throttleMs, manager);
    const results = outcomes.map(({ row, inserted }, index) => {
      if (!row) return newTaskResult(tasks[index].row, this);
      const result = bindTaskResult(Object.assign(new TaskResult(), row), this);
      result.deduplicated = !inserted;
      return result;
    });
    // A replaced task may be due sooner than before: wake workers for it as for a new one.
    const written = outcomes.flatMap(({ written }, index) => (written ? [tasks[index].row] : []));
    const announce = this.announcement(written, results.filter((_, index) => outcomes[index].inserted));
    const runner = manager?.queryRunner;
    if (runner?.isTransactionActive) this.afterCommit.defer(runner, announce);
    else announce();
    return results;
  }

  async pendingByKey(taskName: string, key: string): Promise<TaskResult | null> {
    const row = await pendingByKey(this.dialect.uniqueness(), taskName, key);
    return row ? bindTaskResult(Object.assign(new TaskResult(), row), this) : null;
  }

  async groupResults(groupId: string): Promise<{ position: number; result: TaskResult }[]> {
    if (!isTaskId(groupId)) return [];
    return (await workflows.groupRows(this.dialect, groupId))
      .map(({ position, row }) => ({ position, result: bindTaskResult(Object.assign(new TaskResult(), row), this) }));
  }

  dependencyIds(id: string): Promise<string[]> {
    return isTaskId(id) ? workflows.dependencyIds(this.dialect, id) : Promise.resolve([]);
  }

  dependentIds(id: string): Promise<string[]> {
    return isTaskId(id) ? workflows.dependentIds(this.dialect, id) : Promise.resolve([]);
  }

  forget(id: string): Promise<boolean> {
    return isTaskId(id) ? workflows.forgetTask(this.dialect, id) : Promise.resolve(false);
  }

  async getResult(id: string): Promise<TaskResult> {
    const row = isTaskId(id) ? await this.dialect.find(id) : null;
    if (!row) throw new TaskResultNotFoundError(id);
    return bindTaskResult(Object.assign(new TaskResult(), row), this);
  }

  async cancel(id: string): Promise<TaskResult> {
    const outcome = isTaskId(id) ? await this.dialect.cancel(id) : 'missing';
    if (outcome === 'missing') throw new TaskResultNotFoundError(id);
    if (outcome === 'requested') this.events.cancelRequested(id);
    if (outcome === 'cancelled') this.events.changed(id);
    const result = await this.getResult(id);
    // A running task is cancelled by its worker when it stops: that worker announces it.
    if (outcome === 'cancelled' && this.bus.wantsAny(CANCEL_EVENTS, result.taskName)) {
      const snapshot = bindTaskResult(Object.assign(new TaskResult(), result), this);
      CANCEL_EVENTS.forEach((event) => this.bus.emit(event, snapshot));
    }
    return result;
  }

  /** Tasks cancelled because a dependency failed or was cancelled: waiters wake, `cancelled` and `finished` fire. */
  private async announceCascade(ids: string[]): Promise<void> {
    ids.forEach((id) => this.events.changed(id));
    if (!this.bus.wantsAnyTask(CANCEL_EVENTS)) return;
    for (const id of ids) {
      const row = await this.load(id).catch(() => null);
      if (!row || !this.bus.wantsAny(CANCEL_EVENTS, row.taskName ?? '')) continue;
      const snapshot = bindTaskResult(Object.assign(new TaskResult(), row), this);
      CANCEL_EVENTS.forEach((event) => this.bus.emit(event, snapshot));
    }
  }

  async prune(request: PruneRequest): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.dialect.prune(request);
      total += deleted;
      if (deleted < request.batchSize) return total;
      // SQLite deletes synchronously: let timers (lease renewals) and I/O run between batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  async load(id: string): Promise<Partial<TaskRow> | null> {
    return isTaskId(id) ? this.dialect.find(id) : null;
  }

  waitForChange(id: string, ms: number, signal?: AbortSignal): Promise<void> {
    const end = this.dialect.waitingForFinishes?.();
    const changed = this.events.waitForChange(id, ms, signal);
    if (end) void changed.finally(end);
    return changed;
  }

  /** Wakes this process's workers for the rows' queues, and emits `enqueued` if anyone listens. */
  private announcement(rows: NewTaskRow[], results: TaskResult[]): () => void {
    // Copies taken now: the caller's instances change with their own refresh() and wait().
    const announced = results
      .filter((result) => this.bus.wants('enqueued', result.taskName))
      .map((result) => bindTaskResult(Object.assign(new TaskResult(), result), this));
    return () => {
      new Set(rows.map((row) => row.queueName)).forEach((queue) => this.events.enqueued(queue));
      announced.forEach((result) => this.bus.emit('enqueued', result));
    };
  }

  /** Binds results loaded through the user's own repositories, and runs what waited for a commit. */
  private subscriber(): EntitySubscriberInterface<TaskResult> {
    return {
      listenTo: () => TaskResult,
      afterLoad: (entity: TaskResult) => {
        bindTaskResult(entity, this);
      },
      afterTransactionCommit: (event: TransactionCommitEvent) => this.afterCommit.committed(event.queryRunner),
      afterTransactionRollback: (event: TransactionRollbackEvent) => this.afterCommit.rolledBack(event.queryRunner),
    };
  }
}
