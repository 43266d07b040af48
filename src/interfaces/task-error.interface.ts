/** One failed attempt, as stored in `TaskResult.errors` (oldest first). */
export interface TaskError {
  /** Class name of what was thrown (`Error`, `TypeError`, `TaskTimeoutError`, …). */
  name: string;
  message: string;
  /** The stack, when the thrown value had one. */
  traceback: string;
  /** 1-based attempt that failed. */
  attempt: number;
  /** ISO 8601 time of the failure. */
  failedAt: string;
}
