import type { OperationsDialect, OperationsRunner, OperationStatements } from '../dialects/operations-dialect.interface';
import { parseJsonColumn } from '../dialects/shared/task-row.mapper';
import { Pipe } from '../dialects/shared/dependents.settle';
import type { TaskError } from '../interfaces/task-error.interface';
import { TaskResultStatus } from '../task-result-status.enum';
import { DependencyFailedError } from '../task.errors';

export type RetryOutcome =
  | { kind: 'retried'; queue: string; reopened: string[] }
  | { kind: 'missing' }
  | { kind: 'not-retryable'; status: TaskResultStatus; reason?: string }
  /** A keyed task that never ran, whose key a newer pending task holds. */
  | { kind: 'key-held'; taskName: string; key: string; holderId: string };

const RETRYABLE: readonly string[] = [TaskResultStatus.FAILED, TaskResultStatus.CANCELLED];

/**
 * Puts FAILED or CANCELLED task `id` back to READY on the same row (WAITING if it was cancelled
 * before its dependencies finished), in one transaction with its row locked; with `dependents`, the dependents its failure cancelled go back to WAITING with
 * it (and theirs, transitively), so the workflow resumes when it succeeds.
 */
export function retryTask(db: OperationsDialect, id: string, dependents: boolean): Promise<RetryOutcome> {
  const sql = db.statements;
  return db.transaction(async (tx) => {
    const [row] = await tx.all(sql.lockTask, [id]);
    if (!row) return { kind: 'missing' };
    const status = row.status as TaskResultStatus;
    if (!RETRYABLE.includes(status)) return { kind: 'not-retryable', status };
    // Only a task never claimed holds its key (src/uniqueness): back to READY, it would take it again.
    if (row.unique_key !== null && row.unique_key !== undefined && row.last_attempted_at === null) {
      const [holder] = await tx.all(sql.keyHolder, [row.task_name, row.unique_key]);
      if (holder) return { kind: 'key-held', taskName: String(row.task_name), key: String(row.unique_key), holderId: String(holder.id) };
    }
    // Cancelled before its dependencies finished: it waits for them again rather than run without them.
    const [counts] = await tx.all(sql.dependencyCounts, [id]);
    if (Number(counts.failed) > 0 && Number(row.pipe) !== Pipe.None) {
      return { kind: 'not-retryable', status, reason: 'it receives the value of a dependency that did not succeed; retry that one with dependents: true' };
    }
    if (Number(counts.pending) > 0) await tx.run(sql.reopen, [Number(counts.pending), id]);
    else await tx.run(sql.retry, [id]);
    return { kind: 'retried', queue: String(row.queue_name), reopened: dependents ? await reopenDependents(tx, sql, id) : [] };
  });
}

/**
 * The dependents `id` cancelled (their last error a DependencyFailedError naming it) go back to
 * WAITING, counting their unfinished dependencies again; a dependent that another failed
 * dependency would cancel anyway stays CANCELLED. Returns the ids reopened.
 */
async function reopenDependents(tx: OperationsRunner, sql: OperationStatements, id: string): Promise<string[]> {
  const reopened: string[] = [];
  const queue = [id];
  for (let next = queue.shift(); next; next = queue.shift()) {
    for (const dependent of await tx.all(sql.cancelledDependents, [next])) {
      const errors = (parseJsonColumn(dependent.errors) ?? []) as TaskError[];
      const last = errors[errors.length - 1];
      if (!last || last.name !== DependencyFailedError.name || !last.message.includes(next)) continue;
      const [counts] = await tx.all(sql.dependencyCounts, [dependent.id]);
      const cancelsOnFailure = dependent.on_dependency_failure !== 'run' || Number(dependent.pipe) !== Pipe.None;
      if (cancelsOnFailure && Number(counts.failed) > 0) continue;
      await tx.run(sql.reopen, [Number(counts.pending), dependent.id]);
      reopened.push(String(dependent.id));
      queue.push(String(dependent.id));
    }
  }
  return reopened;
}
