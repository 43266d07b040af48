import type { ClaimedTask } from '../dialects/task-dialect.interface';
import type { TaskResult } from '../entities/task-result.entity';
import { toDate } from '../dialects/shared/task-row.mapper';
import type { TaskContext } from '../task-context';
import { dependenciesOf } from '../workflows/task-dependencies';
import type { AttemptStop } from './attempt-stop';
import { TaskRequeue } from './task-attempt';
import type { AttemptHooks } from './attempt-hooks';

/**
 * The context of one attempt. A class rather than an object literal: the literal's two getters
 * made V8 build their functions and accessor pairs for every attempt, about a kilobyte of a
 * no-op task's allocations; here they live on the prototype.
 */
export class AttemptContext implements TaskContext {
  readonly attempt: number;
  readonly workerId: string;
  readonly scheduledAt: Date | null;
  readonly #task: ClaimedTask;
  readonly #stop: AttemptStop;
  readonly #hooks: AttemptHooks;
  #taskResult?: TaskResult;
  #setProgress?: (current: number, total?: number, message?: string) => Promise<void>;
  #dependencies?: () => Promise<TaskResult[]>;

  constructor(task: ClaimedTask, stop: AttemptStop, hooks: AttemptHooks) {
    this.attempt = task.attempt;
    this.workerId = hooks.workerId;
    this.scheduledAt = toDate(task.scheduledAt);
    this.#task = task;
    this.#stop = stop;
    this.#hooks = hooks;
  }

  get taskResult(): TaskResult {
    return (this.#taskResult ??= this.#hooks.taskResult(this.#task));
  }

  get signal(): AbortSignal {
    return this.#stop.signal;
  }

  // Getters making the functions on first use: the context stays one object for a task that calls
  // none of them, and a task may still take them off it (`const { setProgress } = context()`).
  get setProgress(): (current: number, total?: number, message?: string) => Promise<void> {
    return (this.#setProgress ??= (current, total, message) =>
      this.#hooks.setProgress(this.#task, JSON.stringify({ current, total: total ?? null, message: message ?? null })));
  }

  get dependencies(): () => Promise<TaskResult[]> {
    return (this.#dependencies ??= () => dependenciesOf(this.taskResult));
  }

  /** One function for every context: it needs none. */
  readonly requeue = requeue;
}

function requeue(delayMs = 0): never {
  if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0) {
    throw new TypeError(`requeue(): delayMs must be a number of milliseconds >= 0, got ${String(delayMs)}.`);
  }
  throw new TaskRequeue(delayMs);
}
