import { Inject, Injectable } from '@nestjs/common';
import type { TaskBackend } from '../backends/task-backend.interface';
import { DatabaseBackend } from '../backends/database.backend';
import { MemoryBackend } from '../backends/memory.backend';
import type { TasksModuleOptions } from '../interfaces/tasks-module-options.interface';
import { MAX_QUEUE_NAME_LENGTH, ResolvedQueues, resolveQueues } from '../limits/queue-limits';
import { InvalidTaskError } from '../task.errors';
import { TaskResultStatus } from '../task-result-status.enum';
import { TASK_BACKEND, TASKS_MODULE_OPTIONS } from '../tasks.constants';
import { DatabaseQueueStore } from './database-queue.store';
import { MemoryQueueStore } from './memory-queue.store';
import type { QueueStore } from './queue.store';
import type { TaskQueueInfo } from './task-queue.interface';

/** Paused queues and the queues' state: behind `TaskService.pauseQueue()`, `resumeQueue()` and `listQueues()`. */
@Injectable()
export class TaskQueues {
  readonly queues: ResolvedQueues;
  private storeInstance?: QueueStore;

  constructor(
    @Inject(TASK_BACKEND) private readonly backend: TaskBackend,
    @Inject(TASKS_MODULE_OPTIONS) options: TasksModuleOptions,
  ) {
    this.queues = resolveQueues(options.queues);
  }

  private get store(): QueueStore {
    const { backend } = this;
    return (this.storeInstance ??= backend instanceof DatabaseBackend
      ? new DatabaseQueueStore(() => backend.dialect)
      : new MemoryQueueStore(backend as MemoryBackend));
  }

  /**
   * A queue the module declares (any name when it declares none, so a queue can be paused before
   * its first task): else `InvalidTaskError`, nothing stored.
   */
  private check(where: string, name: unknown): string {
    if (typeof name !== 'string' || name === '' || name.length > MAX_QUEUE_NAME_LENGTH) {
      throw new InvalidTaskError(`${where}: a queue name must be a non-empty string of at most ${MAX_QUEUE_NAME_LENGTH} characters, got ${JSON.stringify(name)}.`);
    }
    const { names } = this.queues;
    if (names && !names.includes(name)) {
      throw new InvalidTaskError(`${where}: "${name}" is not one of the module's queues: ${names.join(', ')}.`);
    }
    return name;
  }

  async pause(name: string): Promise<void> {
    await this.store.setPaused(this.check('pauseQueue()', name), true);
  }

  async resume(name: string): Promise<void> {
    await this.store.setPaused(this.check('resumeQueue()', name), false);
  }

  /** The declared queues, the stored ones and those that have tasks, by name. */
  async list(): Promise<TaskQueueInfo[]> {
    const [stored, counts] = await Promise.all([this.store.stored(), this.store.counts()]);
    const queues = new Map<string, TaskQueueInfo>();
    const queue = (name: string): TaskQueueInfo => {
      let info = queues.get(name);
      if (!info) {
        info = { name, paused: false, counts: emptyCounts() };
        const limits = this.queues.limits.get(name);
        if (limits?.globalConcurrency !== undefined) info.globalConcurrency = limits.globalConcurrency;
        if (limits?.rateLimit) info.rateLimit = { ...limits.rateLimit };
        queues.set(name, info);
      }
      return info;
    };
    this.queues.names?.forEach(queue);
    for (const row of stored) queue(row.name).paused = row.paused;
    for (const row of counts) queue(row.queue).counts[row.status] = row.count;
    return [...queues.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

function emptyCounts(): Record<TaskResultStatus, number> {
  return Object.fromEntries(Object.values(TaskResultStatus).map((status) => [status, 0])) as Record<TaskResultStatus, number>;
}
