import { Logger } from '@nestjs/common';
import type { TaskDialect } from '../dialects/task-dialect.interface';
import type { AttemptRef } from '../core/attempt-ref';
import type { TaskChange } from '../core/task.transitions';

interface Pending {
  outcome: TaskChange;
  written: () => void;
}

const MAX_RETRY_DELAY_MS = 5_000;

/**
 * Writes attempt outcomes with group commit: while one write is in flight, outcomes that finish
 * meanwhile queue up and go together in the next one. A lone outcome waits one tick at most;
 * `write()` calls back only once its outcome is committed (a callback, not a promise: the plain
 * path of a task pays for each promise it makes, twice over with async hooks on).
 *
 * Dialects record a value their database refuses as a failed attempt (`finish` throws only when
 * the database cannot take the batch at all), so a failed write means an unreachable database:
 * the writer backs off and retries until it succeeds or is abandoned. Rewriting an outcome that
 * did commit is harmless: its row is no longer RUNNING under this attempt.
 */
export class OutcomeWriter {
  private queue: Pending[] = [];
  /** The batch being written. */
  private writing: Pending[] = [];
  private flushing = false;
  private scheduled = false;
  private abandoned = false;

  constructor(
    private readonly dialect: TaskDialect,
    private readonly workerId: string,
    private readonly logger: Logger,
  ) {}

  /** Queues `outcome`; `written` is called once it is committed (or abandoned), and must not throw. */
  write(outcome: TaskChange, written: () => void): void {
    this.queue.push({ outcome, written });
    if (this.flushing || this.scheduled) return;
    // One tick of patience gathers every outcome finished in this turn of the event loop.
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.flushing) void this.flush();
    });
  }

  /** The attempts whose outcomes wait to be committed: their rows are still RUNNING under this worker. */
  *pending(): Iterable<AttemptRef> {
    for (const pending of this.writing) yield pending.outcome.ref;
    for (const pending of this.queue) yield pending.outcome.ref;
  }

  /** Stops retrying: what is still unwritten is left to lease expiry and rescue. */
  abandon(): void {
    this.abandoned = true;
    this.queue.splice(0).forEach(done);
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    let failures = 0;
    while (this.queue.length > 0 && !this.abandoned) {
      const batch = (this.writing = this.queue);
      this.queue = [];
      const unwritten = await this.writeBatch(batch);
      this.writing = [];
      if (unwritten.length === 0) {
        batch.forEach(done);
        failures = 0;
        continue;
      }
      failures++;
      this.queue = unwritten.concat(this.queue);
      await new Promise((resolve) => setTimeout(resolve, Math.min(MAX_RETRY_DELAY_MS, 50 * 2 ** failures)));
    }
    if (this.abandoned) this.queue.splice(0).forEach(done);
    this.flushing = false;
  }

  /** Returns the batch if it could not be written (the database is unreachable), to retry later. */
  private async writeBatch(batch: Pending[]): Promise<Pending[]> {
    try {
      await this.dialect.finish(this.workerId, batch.map((pending) => pending.outcome));
      return [];
    } catch (error) {
      this.logger.warn(`Could not record ${batch.length} task outcome(s), retrying: ${(error as Error).message}`);
      return batch;
    }
  }
}

function done(pending: Pending): void {
  pending.written();
}
