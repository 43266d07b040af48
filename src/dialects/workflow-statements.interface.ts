/**
 * Statements run inside one transaction, on the dialect's own connection or the caller's
 * (`manager`): the rows of a SELECT or of a RETURNING, else an empty array.
 */
export interface SqlRunner {
  query<R = Record<string, unknown>>(sql: string, params: unknown[]): Promise<R[]>;
}

/**
 * The named statements of workflows (dependencies, groups, chains) for one database, the same
 * names in every dialect. They run only for tasks that take part in a workflow: the plain
 * enqueue → claim → finish path never reaches them. Parameters are positional, in the order of
 * each comment; `…` lists are built for `count` values.
 */
export interface WorkflowStatements {
  /** A Date as the database takes it in a parameter. */
  formatDate(date: Date): string;
  /**
   * Per row: id, task_name, status (READY or WAITING), queue_name, priority, args, kwargs,
   * backend, run_at, delay_ms, max_attempts, group_id, group_position, metadata,
   * pending_dependencies, on_dependency_failure, pipe, release_delay_ms.
   */
  insertTasks(rows: number): string;
  /** Per row: task_id, depends_on_id, position. */
  insertEdges(rows: number): string;
  /** ids…: id, status and return_value of these tasks, locked until the transaction ends. */
  lockTasks(count: number): string;
  /** ids…: these tasks have dependents (their finish releases them). */
  markHasDependents(count: number): string;
  /**
   * dependency id: its WAITING dependents (id, queue_name, pending_dependencies,
   * on_dependency_failure, pipe, has_dependents), locked. Not their args: on MariaDB a text
   * column in this sorted, locking join doubled its time (the members of a chord run it each).
   */
  waitingDependents: string;
  /** id: one dependency fewer to wait for. */
  decrementPending: string;
  /** args (JSON text, or null to keep them), id: WAITING → READY, due after its release delay on the database's clock. */
  release: string;
  /** error (JSON text), id: WAITING or READY → CANCELLED with the error appended. */
  cancelWithError: string;
  /** id: WAITING or READY → CANCELLED (a direct cancellation). */
  cancelPending: string;
  /** task id: the return values of its dependencies, in `dependsOn` order. */
  dependencyValues: string;
  /** id: args and pipe of a task. */
  taskArgs: string;
  /** id: status and has_dependents of a task, locked. */
  lockTask: string;
  /** task id: ids of its dependencies, in order. */
  dependencyIds: string;
  /** task id: ids of its dependents. */
  dependentIds: string;
  /** group id: every row of the group or chain (every column), by position. */
  groupRows: string;
  /** id: deletes a finished task. */
  forgetTask: string;
  /** id: deletes the edges to a task's dependencies. */
  forgetEdges: string;
}

/** Rows per insert statement of a workflow: well under every database's parameter limit. */
export const WORKFLOW_ROWS_PER_INSERT = 500;
