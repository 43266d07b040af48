import type { TaskError } from '../../interfaces/task-error.interface';
import { TaskResultStatus } from '../../task-result-status.enum';
import { DependencyFailedError } from '../../task.errors';
import { readStoredReturnValue } from '../../serialization/stored-return-value';
import { parseJsonColumn } from './task-row.mapper';
import type { SqlRunner, WorkflowStatements } from '../workflow-statements.interface';

/** How a `pipe()` task receives what ran before it: nothing, the one dependency's value, or every dependency's, in order. */
export enum Pipe {
  None = 0,
  Value = 1,
  Values = 2,
}

export interface FinishedTask {
  id: string;
  status: TaskResultStatus;
}

/** The error a dependent is cancelled with when `dependencyId` ended `status`. */
export function dependencyFailedError(dependencyId: string, status: TaskResultStatus, failedAt = new Date()): TaskError {
  const error = new DependencyFailedError(dependencyId, status);
  return { name: error.name, message: error.message, traceback: '', attempt: 0, failedAt: failedAt.toISOString() };
}

/**
 * Settles the dependents of tasks that just finished, inside the transaction that finished
 * them: a dependent whose last dependency finished becomes READY (a `pipe()` task with the
 * value(s) written into `args[0]`); a dependency that ended FAILED or CANCELLED cancels its
 * dependents with `onDependencyFailure: 'cancel'` (and every `pipe()` task) with a
 * DependencyFailedError, and so theirs, transitively; with `'run'` it counts as finished.
 * Dependents are locked before they are read, so two dependencies finishing at once in two
 * transactions count down one after the other. Fills and returns `report`.
 */
export async function settleDependents(
  run: SqlRunner, sql: WorkflowStatements, finished: FinishedTask[], report: SettleReport = newSettleReport(),
): Promise<SettleReport> {
  const { released, cancelled } = report;
  const queue = [...finished];
  for (let next = queue.shift(); next; next = queue.shift()) {
    const failed = next.status !== TaskResultStatus.SUCCESSFUL;
    const dependents = await run.query<{
      id: string; queue_name: string; pending_dependencies: number | string; on_dependency_failure: string; pipe: number | string; has_dependents: unknown;
    }>(sql.waitingDependents, [next.id]);
    for (const dependent of dependents) {
      const pipe = Number(dependent.pipe) as Pipe;
      if (failed && (dependent.on_dependency_failure !== 'run' || pipe !== Pipe.None)) {
        await run.query(sql.cancelWithError, [JSON.stringify(dependencyFailedError(next.id, next.status)), dependent.id]);
        cancelled.push(dependent.id);
        if (Number(dependent.has_dependents)) queue.push({ id: dependent.id, status: TaskResultStatus.CANCELLED });
      } else if (Number(dependent.pending_dependencies) > 1) {
        await run.query(sql.decrementPending, [dependent.id]);
      } else {
        await run.query(sql.release, [pipe === Pipe.None ? null : await pipedArgs(run, sql, dependent.id), dependent.id]);
        released.add(dependent.queue_name);
      }
    }
  }
  return report;
}

/** What a settlement changed, to announce once its transaction committed. */
export interface SettleReport {
  /** Queues of the tasks made READY. */
  released: Set<string>;
  /** Ids of the tasks cancelled because a dependency failed or was cancelled. */
  cancelled: string[];
}

export function newSettleReport(): SettleReport {
  return { released: new Set(), cancelled: [] };
}

/** The args of a `pipe()` task with what it receives in front: its dependency's value, or all of theirs. */
export async function pipedArgs(run: SqlRunner, sql: WorkflowStatements, id: string): Promise<string> {
  const [task] = await run.query<{ args: unknown; pipe: number | string }>(sql.taskArgs, [id]);
  const values = (await run.query<{ return_value: unknown }>(sql.dependencyValues, [id]))
    .map((row) => readStoredReturnValue(row.return_value) ?? null);
  const received = Number(task.pipe) === Pipe.Values ? values : values[0] ?? null;
  return JSON.stringify([received, ...(parseJsonColumn(task.args) as unknown[])]);
}
