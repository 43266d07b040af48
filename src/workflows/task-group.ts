import type { TaskResult, WaitOptions } from '../entities/task-result.entity';
import { FINISHED_STATUSES, TaskResultStatus } from '../task-result-status.enum';
import { TaskWaitTimeoutError } from '../task.errors';

/** What groups and chains read and change through: the application's backend. */
export interface WorkflowSource {
  groupResults(groupId: string): Promise<{ position: number; result: TaskResult }[]>;
  cancel(id: string): Promise<TaskResult>;
}

/** Polls `check` with backoff (×1.5) until it returns something, or `TaskWaitTimeoutError`. */
export async function pollUntil<T>(
  id: string, options: WaitOptions, status: () => TaskResultStatus, check: () => Promise<T | undefined>,
): Promise<T> {
  const { timeout = 30_000, pollInterval = 50, maxPollInterval = 500 } = options;
  const deadline = Date.now() + timeout;
  let delay = pollInterval;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) throw new TaskWaitTimeoutError(id, status(), timeout);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(delay, deadline - Date.now()))));
    delay = Math.min(delay * 1.5, maxPollInterval);
  }
}

/** The time a result finished, for ordering members by finishing order. */
function finishedTime(result: TaskResult): number {
  return result.finishedAt ? new Date(result.finishedAt).getTime() : Number.MAX_SAFE_INTEGER;
}

/**
 * A chord's callback (`C` its value): null for a plain group (`C` never), maybe null for a group
 * loaded by id without saying what it is (`C` unknown).
 */
export type ChordCallback<C> = [C] extends [never] ? null : unknown extends C ? TaskResult<C> | null : TaskResult<C>;

/**
 * Tasks enqueued together with `TaskService.group()` (Celery's GroupResult), stored in one
 * transaction; with `then`, a chord: `callback` runs after every member succeeded, given their
 * return values in order. `V` is the members' values in order, `C` the callback's.
 */
export class TaskGroup<V extends unknown[] = unknown[], C = unknown> {
  constructor(
    readonly id: string,
    /** The members, in the order given. */
    public results: TaskResult[],
    /** The chord's callback, or null for a plain group. */
    public callback: ChordCallback<C>,
    private readonly source: WorkflowSource,
  ) {}

  /** Reloads every member (and the callback) from the database. */
  async refresh(): Promise<this> {
    const rows = await this.source.groupResults(this.id);
    this.results = rows.filter((row) => row.position >= 0).map((row) => row.result);
    this.callback = ((rows.find((row) => row.position < 0)?.result ?? null) as ChordCallback<C>);
    return this;
  }

  /** Every member finished (the callback aside). */
  get isFinished(): boolean {
    return this.results.every((result) => result.isFinished);
  }

  /** How many members are in each status. */
  get counts(): Record<TaskResultStatus, number> {
    const counts = Object.fromEntries(Object.values(TaskResultStatus).map((status) => [status, 0])) as Record<TaskResultStatus, number>;
    for (const result of this.results) counts[result.status]++;
    return counts;
  }

  /**
   * The members' return values, in order, once all succeeded; rejects with the error of the
   * first member to fail (in finishing order) as soon as one has.
   */
  wait(options: WaitOptions = {}): Promise<V> {
    return pollUntil(this.id, options, () => this.pendingStatus(), async () => {
      await this.refresh();
      const failed = this.results
        .filter((result) => result.status === TaskResultStatus.FAILED || result.status === TaskResultStatus.CANCELLED)
        .sort((a, b) => finishedTime(a) - finishedTime(b))[0];
      if (failed) return failed.returnValue as never;
      return this.isFinished ? (this.results.map((result) => result.returnValue) as V) : undefined;
    });
  }

  /** The members as each one finishes, in finishing order (each yielded once). */
  async *iterate(options: WaitOptions = {}): AsyncGenerator<TaskResult> {
    const yielded = new Set<string>();
    while (yielded.size < this.results.length) {
      const next = await pollUntil(this.id, options, () => this.pendingStatus(), async () => {
        await this.refresh();
        const finished = this.results
          .filter((result) => result.isFinished && !yielded.has(result.id))
          .sort((a, b) => finishedTime(a) - finishedTime(b) || (a.id < b.id ? -1 : 1));
        return finished.length > 0 ? finished : undefined;
      });
      for (const result of next) {
        yielded.add(result.id);
        yield result;
      }
    }
  }

  /** Cancels every unfinished member; the callback is cancelled with them. */
  async cancel(): Promise<this> {
    for (const result of this.results) if (!result.isFinished) await this.source.cancel(result.id);
    if (this.callback && !this.callback.isFinished) await this.source.cancel(this.callback.id);
    return this.refresh();
  }

  /** Deletes the results of the finished members and callback; returns how many. */
  async forget(): Promise<number> {
    let forgotten = 0;
    for (const result of [...this.results, ...(this.callback ? [this.callback] : [])]) {
      if (await result.forget()) forgotten++;
    }
    return forgotten;
  }

  private pendingStatus(): TaskResultStatus {
    return this.results.find((result) => !FINISHED_STATUSES.includes(result.status))?.status ?? TaskResultStatus.SUCCESSFUL;
  }
}
