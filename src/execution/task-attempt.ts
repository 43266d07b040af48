import type { TaskError } from '../interfaces/task-error.interface';

/** Why an attempt's signal fired, when it was not its own timeout. */
export enum AbortCause {
  CANCELLED = 'cancelled',
  SHUTDOWN = 'shutdown',
  LEASE_LOST = 'lease-lost',
}

/** How one attempt ended, before it is written. */
export type AttemptResult =
  | { kind: 'succeeded'; returnValue: string }
  /** `retryable` false: retrying cannot help (unknown task, undecodable row). */
  | { kind: 'failed'; error: TaskError; retryable: boolean }
  | { kind: 'aborted'; cause: AbortCause }
  /** `context().requeue(delayMs)`: back to READY, the attempt not charged. */
  | { kind: 'requeued'; delayMs: number };

/** Thrown by `context().requeue()`; ends the attempt (never seen by the caller). */
export class TaskRequeue extends Error {
  constructor(readonly delayMs: number) {
    super('Task requeued');
    this.name = 'TaskRequeue';
  }
}

export class AttemptAbort extends Error {
  constructor(readonly abortCause: AbortCause) {
    super(`Task aborted: ${abortCause}`);
    this.name = 'AbortError';
  }
}
