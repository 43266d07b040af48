import { Logger } from '@nestjs/common';
import type { TaskDialect } from '../../dialects/task-dialect.interface';
import { FINISHED_STATUSES } from '../../task-result-status.enum';
import { PeriodicJob } from './periodic-job';
import type { MaintenanceService } from './maintenance-service';

const PRUNE_BATCH = 1000;
const MAX_PRUNE_INTERVAL_MS = 60_000;

/**
 * Deletes finished results older than `retentionMs` while a worker runs (`pruneAfter`), in
 * batches of a thousand rows so no statement holds locks for long, yielding between batches;
 * then the throttle windows that have closed, which would otherwise stay one row per key forever.
 */
export class TaskResultPruner implements MaintenanceService {
  private readonly schedule: PeriodicJob;

  constructor(
    private readonly dialect: TaskDialect,
    private readonly retentionMs: number,
    private readonly queues: readonly string[] | null,
    private readonly logger: Logger,
  ) {
    this.schedule = new PeriodicJob(() => this.pruneNow(), Math.min(retentionMs, MAX_PRUNE_INTERVAL_MS));
  }

  start(): void {
    this.schedule.start();
  }

  stop(): void {
    this.schedule.stop();
  }

  async pruneNow(): Promise<number> {
    let total = 0;
    try {
      for (;;) {
        const deleted = await this.dialect.prune({
          olderThan: { afterNow: -this.retentionMs },
          statuses: FINISHED_STATUSES,
          queues: this.queues,
          batchSize: PRUNE_BATCH,
        });
        total += deleted;
        if (deleted < PRUNE_BATCH || !this.schedule.active) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (total > 0) this.logger.log(`Pruned ${total} finished task result(s).`);
      await this.pruneClosedWindows();
    } catch (error) {
      this.logger.warn(`Could not prune finished task results: ${(error as Error).message}`);
    }
    return total;
  }

  private async pruneClosedWindows(): Promise<void> {
    const uniqueness = this.dialect.uniqueness();
    await uniqueness.transaction((run) => run.query(uniqueness.statements.closedWindows, []));
  }
}
