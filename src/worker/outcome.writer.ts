import { Logger } from '@nestjs/common';
import type { TaskDialect, TaskOutcome } from '../dialects/task-dialect.interface';

interface Pending {
  outcome: TaskOutcome;
  resolve: () => void;
}

const MAX_RETRY_DELAY_MS = 5_000;

/**
 * Writes attempt outcomes with group commit: while one write is in flight, outcomes that finish
 * meanwhile queue up and go together in the next one. A lone outcome is written at once, so
 * batching adds no latency; `write()` resolves only once its outcome is committed. A failed
 * write (database down) is retried with backoff until it succeeds or the writer is abandoned.
 */
export class OutcomeWriter {
  private queue: Pending[] = [];
  private flushing = false;
  private abandoned = false;

  constructor(
    private readonly dialect: TaskDialect,
    private readonly workerId: string,
    private readonly logger: Logger,
  ) {}

  write(outcome: TaskOutcome): Promise<void> {
    return new Promise((resolve) => {
      this.queue.push({ outcome, resolve });
      if (!this.flushing) void this.flush();
    });
  }

  /** Stops retrying: what is still unwritten is left to lease expiry and rescue. */
  abandon(): void {
    this.abandoned = true;
    const dropped = this.queue.splice(0);
    dropped.forEach((pending) => pending.resolve());
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    let failures = 0;
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        await this.dialect.finish(this.workerId, batch.map((pending) => pending.outcome));
        failures = 0;
        batch.forEach((pending) => pending.resolve());
      } catch (error) {
        if (this.abandoned) {
          batch.forEach((pending) => pending.resolve());
          continue;
        }
        failures++;
        this.logger.warn(`Could not record ${batch.length} task outcome(s), retrying: ${(error as Error).message}`);
        this.queue = batch.concat(this.queue);
        await new Promise((resolve) => setTimeout(resolve, Math.min(MAX_RETRY_DELAY_MS, 50 * 2 ** failures)));
      }
    }
    this.flushing = false;
  }
}
