import { Logger } from '@nestjs/common';
import type { TaskDialect } from '../../dialects/task-dialect.interface';
import { AttemptRef, attemptKey } from '../../core/attempt-ref';
import type { MaintenanceService } from './maintenance-service';

export interface HeldAttempt {
  /** attemptKey() of the attempt. */
  key: string;
  id: string;
  done: boolean;
}

/**
 * Renews the leases of the attempts this worker holds every third of a lease duration, and
 * through the same round trip learns which were cancelled by another process and which leases
 * it lost. Only attempts it knows are renewed: a row RUNNING under its id that it does not hold
 * (the answer to a claim lost with its connection, an earlier process with the same id) is left
 * to expire and be rescued like any other.
 */
export class TaskLeaseRenewer implements MaintenanceService {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly dialect: TaskDialect,
    private readonly workerId: string,
    private readonly leaseMs: number,
    private readonly held: () => Iterable<HeldAttempt>,
    private readonly onCancelRequested: (id: string) => void,
    private readonly onLeaseLost: (key: string) => void,
    private readonly logger: Logger,
    /** Attempts whose outcome is still being written: their rows stay RUNNING until it is. */
    private readonly unwritten: () => Iterable<AttemptRef> = () => [],
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
    const ids = new Set(before.map((attempt) => attempt.id));
    for (const ref of this.unwritten()) ids.add(ref.id);
    if (ids.size === 0) return;
    try {
      const renewal = await this.dialect.renew(this.workerId, [...ids], this.leaseMs);
      renewal.cancelRequested.forEach((id) => this.onCancelRequested(id));
      const held = new Set(renewal.held.map(attemptKey));
      const missing = before.filter((attempt) => !attempt.done && !held.has(attempt.key));
      if (missing.length === 0) return;
      // Only what the worker still holds now can be lost: a claimed-ahead task let go while the
      // renewal was in flight (cancelled and written by an earlier renewal's answer) is not.
      const holding = new Set([...this.held()].filter((attempt) => !attempt.done).map((attempt) => attempt.key));
      for (const attempt of missing) {
        if (!holding.has(attempt.key)) continue;
        this.logger.warn(`Lost the lease of task ${attempt.id}; abandoning this attempt (another worker may run it).`);
        this.onLeaseLost(attempt.key);
      }
    } catch (error) {
      this.logger.warn(`Could not renew leases: ${(error as Error).message}`);
    }
  }
}
