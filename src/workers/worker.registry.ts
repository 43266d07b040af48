import { hostname } from 'node:os';
import type { Logger } from '@nestjs/common';
import type { OperationsDialect } from '../dialects/operations-dialect.interface';
import { PeriodicJob } from '../worker/maintenance/periodic-job';
import type { MaintenanceService } from '../worker/maintenance/maintenance-service';

/** A worker is taken for dead after this many heartbeat intervals without one. */
export const HEARTBEATS_TO_EXPIRY = 3;

export interface RegisteredWorker {
  id: string;
  queues: readonly string[] | null;
  concurrency: number;
  heartbeatInterval: number;
  /** Tasks running now. */
  running: () => number;
}

/**
 * Records the worker in task_workers while it runs: a row written at start, a heartbeat every
 * interval (with the tasks it runs), deleted at stop. Each heartbeat also deletes the rows of
 * workers whose own heartbeats expired, so a killed worker disappears within a few intervals
 * of any other's. Nothing here is on the path of a task: a failed heartbeat is only logged.
 */
export class WorkerRegistry implements MaintenanceService {
  private readonly schedule: PeriodicJob;
  private registered = false;
  private inFlight: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: OperationsDialect,
    private readonly worker: RegisteredWorker,
    private readonly logger: Logger,
  ) {
    this.schedule = new PeriodicJob(() => (this.inFlight = this.beat()), worker.heartbeatInterval);
  }

  start(): void {
    this.schedule.start();
  }

  stop(): void {
    this.schedule.stop();
  }

  /** Removes the worker's row once the heartbeat in flight (which could write it again) is done. */
  async stopped(): Promise<void> {
    await this.inFlight.catch(() => undefined);
    try {
      await this.db.maintenance.run(this.db.workers.remove, [this.worker.id]);
    } catch (error) {
      this.logger.warn(`Could not remove worker ${this.worker.id} from the registry (it expires on its own): ${(error as Error).message}`);
    }
  }

  private async beat(): Promise<void> {
    const { id, queues, concurrency, heartbeatInterval } = this.worker;
    const expiresIn = heartbeatInterval * HEARTBEATS_TO_EXPIRY;
    try {
      // A row deleted meanwhile (taken for dead while cut off from the database) is written again.
      const beaten = this.registered && (await this.db.maintenance.run(this.db.workers.heartbeat, [this.worker.running(), expiresIn, id])) > 0;
      if (!beaten) {
        await this.db.maintenance.run(this.db.workers.register,
          [id, hostname(), process.pid, queues ? JSON.stringify(queues) : null, concurrency, expiresIn]);
        this.registered = true;
        if (this.worker.running() > 0) await this.db.maintenance.run(this.db.workers.heartbeat, [this.worker.running(), expiresIn, id]);
      }
      await this.db.maintenance.run(this.db.workers.expire, []);
    } catch (error) {
      this.logger.warn(`Worker heartbeat failed: ${(error as Error).message}`);
    }
  }
}
