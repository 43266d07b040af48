import type { ClaimedTask } from '../dialects/task-dialect.interface';

/**
 * Claimed-ahead tasks are sized to wait about 50 ms for a slot. One that waited this long sits
 * behind slots that stopped turning over (hung or long tasks): it is given back, uncharged, for
 * another worker to run, rather than kept RUNNING under leases this worker keeps renewing.
 */
export const CLAIMED_AHEAD_MAX_WAIT_MS = 1_000;

interface Entry {
  task: ClaimedTask;
  /** performance.now() when claimed. */
  claimedAt: number;
}

/** Tasks claimed ahead of free slots, oldest first, each with the time it was claimed. */
export class ClaimedAheadBuffer {
  private entries: Entry[] = [];

  constructor(private readonly maxWaitMs = CLAIMED_AHEAD_MAX_WAIT_MS) {}

  get length(): number {
    return this.entries.length;
  }

  push(tasks: ClaimedTask[], now = performance.now()): void {
    for (const task of tasks) this.entries.push({ task, claimedAt: now });
  }

  shift(): ClaimedTask | undefined {
    return this.entries.shift()?.task;
  }

  tasks(): ClaimedTask[] {
    return this.entries.map((entry) => entry.task);
  }

  /** Removes and returns the first task matching `predicate`. */
  take(predicate: (task: ClaimedTask) => boolean): ClaimedTask | undefined {
    const index = this.entries.findIndex((entry) => predicate(entry.task));
    return index < 0 ? undefined : this.entries.splice(index, 1)[0].task;
  }

  takeAll(): ClaimedTask[] {
    return this.entries.splice(0).map((entry) => entry.task);
  }

  /** Removes and returns the tasks that have waited their longest. */
  takeStale(now = performance.now()): ClaimedTask[] {
    const fresh = this.entries.findIndex((entry) => now - entry.claimedAt < this.maxWaitMs);
    return this.entries.splice(0, fresh < 0 ? this.entries.length : fresh).map((entry) => entry.task);
  }

  /** Milliseconds until the oldest task goes stale; undefined when empty. */
  msUntilStale(now = performance.now()): number | undefined {
    const oldest = this.entries[0];
    return oldest === undefined ? undefined : Math.max(0, oldest.claimedAt + this.maxWaitMs - now);
  }
}
