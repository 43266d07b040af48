import { OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource, EntityManager, EntitySubscriberInterface, TransactionCommitEvent, TransactionRollbackEvent, QueryRunner } from 'typeorm';
import { TaskResult } from '../entities/task-result.entity';
import type { TaskRow } from '../core/task-row';
import { bindTaskResult, clearFallbackTaskResultSource, setFallbackTaskResultSource } from '../entities/task-result.source';
import { createDialect } from '../dialects/create-dialect';
import type { NewTaskRow, PruneRequest, TaskDialect } from '../dialects/task-dialect.interface';
import { TaskEvents } from '../task.events';
import { TaskResultNotFoundError } from '../task.errors';
import { isTaskId } from '../task-id';
import type { TaskBackend } from './task-backend.interface';
import { newTaskResult } from './new-task-result';

/** Tasks stored in the application's database, run by workers. */
export class DatabaseBackend implements TaskBackend, OnModuleInit, OnApplicationShutdown {
  readonly name = 'database' as const;
  private dialectInstance?: TaskDialect;
  private dataSource?: DataSource;
  /** Queues to wake once the caller's transaction commits. */
  private readonly pendingWakeUps = new WeakMap<QueryRunner, Set<string>>();
  private stopListening?: () => Promise<void>;

  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly events: TaskEvents,
    private readonly dataSourceName?: string,
  ) {}

  async onModuleInit(): Promise<void> {
    this.dataSource = this.moduleRef.get<DataSource>(getDataSourceToken(this.dataSourceName) as string, { strict: false });
    this.dialectInstance = createDialect(this.dataSource);
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

  get dialect(): TaskDialect {
    if (!this.dialectInstance) throw new Error('TasksModule is not initialised yet: enqueue after the application has started.');
    return this.dialectInstance;
  }

  async enqueue(rows: NewTaskRow[], manager?: EntityManager): Promise<TaskResult[]> {
    await this.dialect.insert(rows, manager);
    const queues = new Set(rows.map((row) => row.queueName));
    const runner = manager?.queryRunner;
    if (runner?.isTransactionActive) {
      // Waking a worker before the commit would only make it find nothing.
      const pending = this.pendingWakeUps.get(runner) ?? new Set<string>();
      queues.forEach((queue) => pending.add(queue));
      this.pendingWakeUps.set(runner, pending);
    } else {
      queues.forEach((queue) => this.events.enqueued(queue));
    }
    return rows.map((row) => newTaskResult(row, this));
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
    return this.getResult(id);
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
    return this.events.waitForChange(id, ms, signal);
  }

  /** Binds results loaded through the user's own repositories, and wakes workers after a commit. */
  private subscriber(): EntitySubscriberInterface<TaskResult> {
    return {
      listenTo: () => TaskResult,
      afterLoad: (entity: TaskResult) => {
        bindTaskResult(entity, this);
      },
      afterTransactionCommit: (event: TransactionCommitEvent) => {
        const pending = this.pendingWakeUps.get(event.queryRunner);
        if (!pending) return;
        this.pendingWakeUps.delete(event.queryRunner);
        pending.forEach((queue) => this.events.enqueued(queue));
      },
      afterTransactionRollback: (event: TransactionRollbackEvent) => {
        this.pendingWakeUps.delete(event.queryRunner);
      },
    };
  }
}
