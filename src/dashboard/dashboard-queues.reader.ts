import { Inject, Injectable } from '@nestjs/common';
import { TASKS_MODULE_OPTIONS } from '../tasks.constants';
import type { TasksModuleOptions } from '../interfaces/tasks-module-options.interface';
import { DashboardTasksReader } from './dashboard-tasks.reader';

export interface DashboardQueue {
  name: string;
  /** Tasks of the queue per status (statuses with none are left out). */
  counts: Record<string, number>;
}

/** The queues the module names and those that have tasks, with their counts per status. */
@Injectable()
export class DashboardQueuesReader {
  constructor(
    private readonly tasks: DashboardTasksReader,
    @Inject(TASKS_MODULE_OPTIONS) private readonly options: TasksModuleOptions,
  ) {}

  async list(): Promise<DashboardQueue[]> {
    const queues = new Map<string, DashboardQueue>();
    for (const name of this.options.queues ?? []) queues.set(name, { name, counts: {} });
    for (const { queueName, status, count } of await this.tasks.counts()) {
      const queue = queues.get(queueName) ?? { name: queueName, counts: {} };
      queue.counts[status] = count;
      queues.set(queueName, queue);
    }
    return [...queues.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
}
