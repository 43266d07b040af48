import { Logger } from '@nestjs/common';
import type { SparedAttempts, TaskDialect } from '../../dialects/task-dialect.interface';
import { PeriodicJob } from './periodic-job';
import type { MaintenanceService } from './maintenance-service';

const RESCUE_BATCH = 500;

/**
 * Any worker rescues tasks whose lease expired (their worker died or was cut off from the
 * database): back to READY, or FAILED with a WorkerLostError when no attempts are left. It runs
 * every half lease, so a lost task is rescued within 1.5 lease durations of its worker's death.
 *
 * It never rescues the attempts this very worker holds: after its event loop stalled past a lease
 * (a starved process, a synchronous task), the reaper's timer may fire before the renewer's, or
 * the loop may stall again between a renewal and the rescue's read. It renews them first, and
 * leaves any that expired anyway to the renewer (other workers may still rescue them).
 */
export class TaskLeaseReaper implements MaintenanceService {
  private readonly schedule: PeriodicJob;

  constructor(
    private readonly dialect: TaskDialect,
    intervalMs: number,
    private readonly onRescued: (ids: string[]) => void,
    private readonly logger: Logger,
    /** Renews the leases this worker holds; settled before any rescue reads what expired. */
    private readonly renewOwn: () => Promise<void> = async () => undefined,
    /** The attempts this worker holds (running, claimed ahead, with an outcome not yet written, or being claimed). */
    private readonly own?: () => SparedAttempts,
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
    await this.renewOwn();
    try {
      for (;;) {
        const ids = await this.dialect.rescue(RESCUE_BATCH, this.own);
        if (ids.length > 0) {
          total += ids.length;
          for (const id of ids) this.logger.warn(`Rescued task ${id}: its worker stopped renewing its lease.`);
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
