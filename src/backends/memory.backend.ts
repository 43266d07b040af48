import type { TaskResult } from '../entities/task-result.entity';
import type { NewTaskRow, PruneRequest } from '../dialects/task-dialect.interface';
import { TaskResultNotFoundError } from '../task.errors';
import { TaskResultStatus } from '../task-result-status.enum';
import { TaskEvents } from '../task.events';
import type { TaskBackendName } from '../interfaces/tasks-module-options.interface';
import type { TaskBackend } from './task-backend.interface';
import { newTaskResult } from './new-task-result';
import { resolveTime } from '../core/task-time';
import type { TaskRow } from '../core/task-row';

/** Results kept in this process only: for tests and scripts, never for production work. */
export abstract class MemoryBackend implements TaskBackend {
  abstract readonly name: TaskBackendName;
  protected readonly store = new Map<string, TaskResult>();

  constructor(protected readonly events: TaskEvents) {}

  /** Every result enqueued so far, oldest first. */
  get results(): TaskResult[] {
    return [...this.store.values()];
  }

  clear(): void {
    this.store.clear();
  }

  async enqueue(rows: NewTaskRow[]): Promise<TaskResult[]> {
    const results = rows.map((row) => newTaskResult({ ...row, backend: this.name }, this));
    for (const result of results) this.store.set(result.id, result);
    return results;
  }

  async getResult(id: string): Promise<TaskResult> {
    const result = this.store.get(id);
    if (!result) throw new TaskResultNotFoundError(id);
    return result;
  }

  async cancel(id: string): Promise<TaskResult> {
    const result = await this.getResult(id);
    if (result.status === TaskResultStatus.READY) {
      result.status = TaskResultStatus.CANCELLED;
      result.finishedAt = new Date();
      this.events.changed(id);
    }
    return result;
  }

  async prune({ olderThan, statuses, queues }: PruneRequest): Promise<number> {
    let deleted = 0;
    const before = resolveTime(olderThan, new Date());
    for (const [id, result] of this.store) {
      if (statuses.includes(result.status) && result.finishedAt && result.finishedAt < before
          && (!queues || queues.includes(result.queueName))) {
        this.store.delete(id);
        deleted++;
      }
    }
    return deleted;
  }

  async load(id: string): Promise<Partial<TaskRow> | null> {
    // The stored instance is the truth; copy its columns so refresh() on another instance sees them.
    const result = this.store.get(id);
    return result ? { ...result } : null;
  }

  waitForChange(id: string, ms: number, signal?: AbortSignal): Promise<void> {
    return this.events.waitForChange(id, ms, signal);
  }
}

/** `backend: 'dummy'`: stores tasks in memory and never runs them; inspect `results` in tests. */
export class DummyBackend extends MemoryBackend {
  readonly name = 'dummy' as const;
}
