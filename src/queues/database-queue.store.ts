import type { TaskDialect } from '../dialects/task-dialect.interface';
import type { TaskResultStatus } from '../task-result-status.enum';
import type { QueueStore } from './queue.store';

/** Paused queues in task_queues, through the dialect's named queue statements. */
export class DatabaseQueueStore implements QueueStore {
  constructor(private readonly dialect: () => TaskDialect) {}

  async setPaused(name: string, paused: boolean): Promise<void> {
    const dialect = this.dialect();
    await dialect.transaction((run) => run.query(paused ? dialect.queues.pause : dialect.queues.resume, [name]));
  }

  async stored(): Promise<{ name: string; paused: boolean }[]> {
    const dialect = this.dialect();
    const rows = await dialect.read<{ name: string; paused: unknown }>(dialect.queues.list, []);
    return rows.map((row) => ({ name: row.name, paused: Boolean(Number(row.paused)) }));
  }

  async counts(): Promise<{ queue: string; status: TaskResultStatus; count: number }[]> {
    const dialect = this.dialect();
    const rows = await dialect.read<{ queue_name: string; status: TaskResultStatus; count: unknown }>(dialect.queues.counts, []);
    return rows.map((row) => ({ queue: row.queue_name, status: row.status, count: Number(row.count) }));
  }
}
