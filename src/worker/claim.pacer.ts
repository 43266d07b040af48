/**
 * Tasks that run this fast on average are claimed ahead, so the next claim's round trip overlaps
 * running tasks and claims come in large batches. Slower tasks are never claimed ahead: a claimed
 * task waiting behind long ones would be a task no idle worker can take.
 */
const PREFETCH_MAX_RUN_MS = 20;
/** Claimed-ahead tasks hold about this much work, so none waits longer than that for a slot. */
const PREFETCH_WINDOW_MS = 50;
const PREFETCH_MAX = 100;

/**
 * How many tasks to claim: the free slots, plus a batch ahead while tasks are short. It learns
 * the tasks' running time as they finish, and stops claiming ahead when claimed-ahead tasks had to
 * be given back because the slots stopped turning over.
 */
export class ClaimPacer {
  private averageRunMs?: number;
  private lastClaimFull = false;

  constructor(private readonly concurrency: number) {}

  /** How many to claim now, with `active` tasks running and `buffered` claimed ahead. */
  limit(active: number, buffered: number): number {
    const { concurrency } = this;
    const average = this.averageRunMs;
    const ahead = this.lastClaimFull && average !== undefined && average < PREFETCH_MAX_RUN_MS
      ? Math.min(PREFETCH_MAX, Math.max(concurrency, Math.round((concurrency * PREFETCH_WINDOW_MS) / Math.max(average, 0.01))))
      : 0;
    const limit = concurrency + ahead - active - buffered;
    // While the buffer still feeds the slots, wait to claim a worthwhile batch.
    return buffered > 0 && limit < Math.max(concurrency, ahead) / 2 ? 0 : limit;
  }

  /** The last claim got fewer than it asked for: nothing else was due then. */
  get cameShort(): boolean {
    return !this.lastClaimFull;
  }

  /** A claim asked for `limit` and got `count`: a full claim means more are probably due. */
  claimed(count: number, limit: number): boolean {
    this.lastClaimFull = count === limit;
    return this.lastClaimFull;
  }

  ran(runMs: number): void {
    this.averageRunMs = this.averageRunMs === undefined ? runMs : this.averageRunMs * 0.8 + runMs * 0.2;
  }

  /** Claimed-ahead tasks waited too long for a slot: claim no more ahead until tasks run fast again. */
  stalled(): void {
    this.averageRunMs = undefined;
    this.lastClaimFull = false;
  }
}
