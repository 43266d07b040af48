import { Logger } from '@nestjs/common';
import type { TaskDialect } from '../dialects/task-dialect.interface';

export interface HeldAttempt {
  /** `id:attempt` */
  key: string;
  id: string;
  done: boolean;
}

/**
 * What the worker knows of its own rows, so that a row RUNNING under its id that no attempt of
 * this process holds can be told apart from one it is still claiming or recording.
 */
export interface OrphanWatch {
  /** `id:attempt` of every attempt claimed, running, or with an outcome not yet committed. */
  known(): Iterable<string>;
  /** Changes whenever a claim starts or ends; null while one is in flight. */
  claimEpoch(): number | null;
  onOrphan(key: string): void;
}

/**
 * Renews this worker's leases every third of a lease duration, and through the same round trip
 * learns which of its tasks were cancelled by another process and which leases it lost.
 */
export class TaskLeaseRenewer {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly dialect: TaskDialect,
    private readonly workerId: string,
    private readonly leaseMs: number,
    private readonly held: () => Iterable<HeldAttempt>,
    private readonly onCancelRequested: (id: string) => void,
    private readonly onLeaseLost: (key: string) => void,
    private readonly logger: Logger,
    private readonly orphans?: OrphanWatch,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.renew(), Math.max(100, Math.floor(this.leaseMs / 3)));
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async renew(): Promise<void> {
    // Only attempts claimed before the query can be judged by its answer.
    const before = [...this.held()];
    if (before.length === 0) return;
    const knownBefore = new Set(this.orphans?.known());
    const epoch = this.orphans?.claimEpoch() ?? null;
    try {
      const renewal = await this.dialect.renewLeases(this.workerId, this.leaseMs);
      renewal.cancelRequested.forEach((id) => this.onCancelRequested(id));
      for (const attempt of before) {
        if (!attempt.done && !renewal.held.has(attempt.key)) {
          this.logger.warn(`Lost the lease of task ${attempt.id}; abandoning this attempt (another worker may run it).`);
          this.onLeaseLost(attempt.key);
        }
      }
      // The renewal extends every lease under this worker's id, so a row this process does not
      // know (a claim whose answer was lost, an earlier process with the same id) would never
      // expire. A claim in flight meanwhile may be the one that holds it: judge next time.
      if (this.orphans && epoch !== null && this.orphans.claimEpoch() === epoch) {
        const knownAfter = new Set(this.orphans.known());
        for (const key of renewal.held) {
          if (knownBefore.has(key) || knownAfter.has(key)) continue;
          this.logger.warn(`Task ${key.slice(0, key.lastIndexOf(':'))} is RUNNING under this worker's id but no attempt here holds it; recording it as lost.`);
          this.orphans.onOrphan(key);
        }
      }
    } catch (error) {
      this.logger.warn(`Could not renew leases: ${(error as Error).message}`);
    }
  }
}
