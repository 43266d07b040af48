import { Logger } from '@nestjs/common';
import type { TaskDialect } from '../dialects/task-dialect.interface';

const RESCUE_BATCH = 500;

/**
 * Any worker rescues tasks whose lease expired (their worker died or was cut off from the
 * database): back to READY, or FAILED with a WorkerLostError when no attempts are left. It runs
 * every half lease, so a lost task is rescued within 1.5 lease durations of its worker's death.
 */
export class TaskLeaseReaper {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly dialect: TaskDialect,
    private readonly intervalMs: number,
    private readonly onRescued: (ids: string[]) => void,
    private readonly logger: Logger,
  ) {}

  start(): void {
    const tick = async () => {
      await this.rescueNow();
      // Jitter keeps many workers from rescuing in lockstep.
      if (this.timer) this.timer = setTimeout(tick, this.intervalMs * (0.75 + Math.random() * 0.5));
    };
    this.timer = setTimeout(tick, 0);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  async rescueNow(): Promise<number> {
    let total = 0;
    try {
      for (;;) {
        const ids = await this.dialect.rescueExpired(RESCUE_BATCH);
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
