import { Logger } from '@nestjs/common';
import type { TaskDialect } from '../dialects/task-dialect.interface';
import { PeriodicJob } from './periodic-job';

const RESCUE_BATCH = 500;

/**
 * Any worker rescues tasks whose lease expired (their worker died or was cut off from the
 * database): back to READY, or FAILED with a WorkerLostError when no attempts are left. It runs
 * every half lease, so a lost task is rescued within 1.5 lease durations of its worker's death.
 */
export class TaskLeaseReaper {
  private readonly schedule: PeriodicJob;

  constructor(
    private readonly dialect: TaskDialect,
    intervalMs: number,
    private readonly onRescued: (ids: string[]) => void,
    private readonly logger: Logger,
  ) {
    this.schedule = new PeriodicJob(() => this.rescueNow(), intervalMs);
  }

  start(): void {
    this.schedule.start();
  }

  stop(): void {
    this.schedule.stop();
  }

  async rescueNow(): Promise<number> {
    let total = 0;
    try {
      for (;;) {
        const ids = await this.dialect.rescue(RESCUE_BATCH);
        if (ids.length > 0) {
          total += ids.length;
          this.logger.warn(`Rescued ${ids.length} task(s) whose worker stopped renewing its lease.`);
          this.onRescued(ids);
        }
        if (ids.length < RESCUE_BATCH) break;
      }
    } catch (error) {
      this.logger.warn(`Could not rescue expired leases: ${(error as Error).message}`);
    }
    return total;
  }
}
