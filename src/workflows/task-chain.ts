import type { TaskResult, WaitOptions } from '../entities/task-result.entity';
import { TaskResultStatus } from '../task-result-status.enum';
import { pollUntil, WorkflowSource } from './task-group';

/**
 * Steps enqueued with `TaskService.chain()`, each run after the previous one succeeded, stored
 * in one transaction. `R` is what the last step resolves to.
 */
export class TaskChain<R = unknown> {
  constructor(
    readonly id: string,
    /** The steps, in order. */
    public results: TaskResult[],
    private readonly source: WorkflowSource,
  ) {}

  /** The last step. */
  get last(): TaskResult<R> {
    return this.results[this.results.length - 1] as TaskResult<R>;
  }

  async refresh(): Promise<this> {
    this.results = (await this.source.groupResults(this.id)).map((row) => row.result);
    return this;
  }

  get isFinished(): boolean {
    return this.results.every((result) => result.isFinished);
  }

  /** The last step's return value; rejects with the error of the step that failed (the first one not SUCCESSFUL). */
  wait(options: WaitOptions = {}): Promise<R> {
    return pollUntil(this.id, options, () => this.last.status, async () => {
      await this.refresh();
      const failed = this.results.find((result) => result.status === TaskResultStatus.FAILED || result.status === TaskResultStatus.CANCELLED);
      if (failed) return failed.returnValue as never;
      return this.last.status === TaskResultStatus.SUCCESSFUL ? this.last.returnValue : undefined;
    });
  }

  /** Cancels the steps not finished yet (a running one stops; the rest are cancelled with it). */
  async cancel(): Promise<this> {
    for (const result of this.results) if (!result.isFinished) await this.source.cancel(result.id);
    return this.refresh();
  }
}
