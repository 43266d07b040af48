import type { MemoryBackend } from '../backends/memory.backend';
import type { TaskResultStatus } from '../task-result-status.enum';
import type { QueueStore } from './queue.store';

/**
 * Paused queues of the `immediate` and `dummy` backends, kept in memory: listed as set, with no
 * effect, since no worker claims from memory.
 */
export class MemoryQueueStore implements QueueStore {
  private readonly paused = new Map<string, boolean>();

  constructor(private readonly backend: MemoryBackend) {}

  async setPaused(name: string, paused: boolean): Promise<void> {
    this.paused.set(name, paused);
  }

  async stored(): Promise<{ name: string; paused: boolean }[]> {
    return [...this.paused].map(([name, paused]) => ({ name, paused }));
  }

  async counts(): Promise<{ queue: string; status: TaskResultStatus; count: number }[]> {
    const counts = new Map<string, { queue: string; status: TaskResultStatus; count: number }>();
    for (const result of this.backend.results) {
      const key = JSON.stringify([result.queueName, result.status]);
      const entry = counts.get(key) ?? { queue: result.queueName, status: result.status, count: 0 };
      entry.count++;
      counts.set(key, entry);
    }
    return [...counts.values()];
  }
}
