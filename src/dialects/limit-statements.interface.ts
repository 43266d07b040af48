/** A statement with its parameters, in the dialect's placeholders. */
export type BoundStatement = [sql: string, params: unknown[]];

/**
 * The named statements of a limited claim (src/limits) for one database, the same names in
 * every dialect, run in one transaction through `TaskDialect.transaction`. They never run for a
 * queue without limits: its claim stays the plain `claim`.
 */
export interface LimitStatements {
  /**
   * The queue's row in task_queues, created if missing and locked until the transaction ends, so
   * that limited claims of one queue take turns: `paused`, `rate_count`, and `expired`, whether
   * its rate window, `intervalMs` long by the database's clock, has ended (or never started).
   * One or more statements, the last one returning the row.
   */
  lockQueue(queue: string, intervalMs: number): BoundStatement[];
  /** The queue's RUNNING tasks per task and key: task_name, concurrency_key, count. */
  running(queue: string): BoundStatement;
  /**
   * Up to `limit` due READY rows of the queue in claim order, locked, skipping rows other claims
   * hold: the columns of a claimed row (ClaimedTask), claimed_at the claim's time.
   */
  due(queue: string, limit: number): BoundStatement;
  /** Rows of `due` RUNNING under the worker's lease (see claimed()), each with its concurrency key. */
  claim(claimedBy: string, leaseMs: number, ids: string[], keys: (string | null)[]): BoundStatement;
  /** The queue's rate window after a claim: `rate_count` set to `count`, a new window started now when `restart`. */
  charge(queue: string, restart: boolean, count: number): BoundStatement;
}
