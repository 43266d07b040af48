import { Logger } from '@nestjs/common';
import type { TaskDialect, TaskOutcome } from '../dialects/task-dialect.interface';
import { toTaskError } from './task-error.factory';

interface Pending {
  outcome: TaskOutcome;
  resolve: () => void;
}

const MAX_RETRY_DELAY_MS = 5_000;

/**
 * Writes attempt outcomes with group commit: while one write is in flight, outcomes that finish
 * meanwhile queue up and go together in the next one. A lone outcome waits one tick at most; `write()` resolves only once its outcome is committed.
 *
 * A batch that fails is split: one outcome the database refuses (a return value PostgreSQL's
 * jsonb cannot hold, say) must not hold back the others. An outcome refused on its own (twice,
 * and not for a lost connection) is recorded as a failed attempt instead; if even that is
 * refused the database itself is unreachable, and the writer backs off and retries until it
 * succeeds or is abandoned.
 */
export class OutcomeWriter {
  private queue: Pending[] = [];
  private flushing = false;
  private scheduled = false;
  private abandoned = false;
  /** `id:attempt` of the outcomes handed over and not yet committed. */
  private readonly unwritten = new Set<string>();

  constructor(
    private readonly dialect: TaskDialect,
    private readonly workerId: string,
    private readonly logger: Logger,
  ) {}

  write(outcome: TaskOutcome): Promise<void> {
    const key = `${outcome.id}:${outcome.attempt}`;
    this.unwritten.add(key);
    return new Promise((resolve) => {
      this.queue.push({ outcome, resolve: () => {
        this.unwritten.delete(key);
        resolve();
      } });
      if (this.flushing || this.scheduled) return;
      // One tick of patience gathers every outcome finished in this turn of the event loop.
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        if (!this.flushing) void this.flush();
      });
    });
  }

  /** The attempts whose outcomes wait to be committed: their rows are still RUNNING under this worker. */
  pending(): Iterable<string> {
    return this.unwritten;
  }

  /** Stops retrying: what is still unwritten is left to lease expiry and rescue. */
  abandon(): void {
    this.abandoned = true;
    this.queue.splice(0).forEach((pending) => pending.resolve());
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    let failures = 0;
    while (this.queue.length > 0 && !this.abandoned) {
      const batch = this.queue;
      this.queue = [];
      const unwritten = await this.writeBatch(batch);
      batch.filter((pending) => !unwritten.includes(pending)).forEach((pending) => pending.resolve());
      if (unwritten.length === 0) {
        failures = 0;
        continue;
      }
      failures++;
      this.queue = unwritten.concat(this.queue);
      await new Promise((resolve) => setTimeout(resolve, Math.min(MAX_RETRY_DELAY_MS, 50 * 2 ** failures)));
    }
    if (this.abandoned) this.queue.splice(0).forEach((pending) => pending.resolve());
    this.flushing = false;
  }

  /** Returns what could not be written because the database is unreachable. */
  private async writeBatch(batch: Pending[]): Promise<Pending[]> {
    try {
      await this.dialect.finish(this.workerId, batch.map((pending) => pending.outcome));
      return [];
    } catch (error) {
      if (batch.length === 1) return (await this.writeAlone(batch[0], error)) ? [] : batch;
      const unwritten: Pending[] = [];
      for (const pending of batch) {
        if (!(await this.writeAlone(pending))) unwritten.push(pending);
      }
      return unwritten;
    }
  }

  private async writeAlone(pending: Pending, knownError?: unknown): Promise<boolean> {
    let error = knownError;
    if (error === undefined) {
      try {
        await this.dialect.finish(this.workerId, [pending.outcome]);
        return true;
      } catch (caught) {
        error = caught;
      }
    }
    const { outcome } = pending;
    if (knownError !== undefined && !isConnectionLoss(error)) {
      // A dropped connection fails the statement in flight and the next one runs on a fresh
      // connection: an outcome is only taken as refused when it fails again on its own.
      try {
        await this.dialect.finish(this.workerId, [outcome]);
        return true;
      } catch (caught) {
        error = caught;
      }
    }
    if (outcome.kind === 'succeeded' && !isConnectionLoss(error)) {
      const refused = new Error(`The database refused the task's return value: ${(error as Error).message}`);
      refused.name = 'InvalidTaskReturnValueError';
      try {
        await this.dialect.finish(this.workerId, [{ kind: 'failed', id: outcome.id, attempt: outcome.attempt, error: toTaskError(refused, outcome.attempt), retryAt: null }]);
        this.logger.error(`Task ${outcome.id}: ${refused.message}`);
        return true;
      } catch {
        // Refused too: the database is the problem, not this outcome.
      }
    }
    this.logger.warn(`Could not record the outcome of task ${outcome.id}, retrying: ${(error as Error).message}`);
    return false;
  }
}

/** Errors of the connection rather than of the statement: retrying later is the only cure. */
function isConnectionLoss(error: unknown): boolean {
  const { code, fatal, message } = (error ?? {}) as { code?: unknown; fatal?: unknown; message?: unknown };
  if (fatal === true) return true; // mysql2: the connection is unusable
  if (typeof code === 'string' && /^(E[A-Z]+$|08|57P0|PROTOCOL_|ER_SERVER_SHUTDOWN|SQLITE_BUSY|SQLITE_LOCKED|SQLITE_IOERR)/.test(code)) return true;
  // pg reports a lost socket without a code.
  return typeof message === 'string' && /Connection terminated|not queryable|Client was closed|timeout exceeded when trying to connect|connection is not open/i.test(message);
}
