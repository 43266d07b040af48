import type { EntityManager } from 'typeorm';
import type { TaskRow } from '../../core/task-row';
import { readStoredReturnValue } from '../../serialization/stored-return-value';
import { FINISHED_STATUSES, TaskResultStatus } from '../../task-result-status.enum';
import { InvalidTaskError } from '../../task.errors';
import type { NewWorkflowTask, TaskDialect } from '../task-dialect.interface';
import { SqlRunner, WORKFLOW_ROWS_PER_INSERT } from '../workflow-statements.interface';
import { dependencyFailedError, newSettleReport, Pipe, SettleReport, settleDependents } from './dependents.settle';
import { insertValues } from './insert-columns';
import { dateFormatter, mapTaskRow } from './task-row.mapper';

/** What a workflow task is once stored. */
export interface StoredWorkflowTask {
  status: TaskResultStatus;
  /** Its args, when a `pipe()` task was released at once by dependencies already SUCCESSFUL. */
  args?: unknown[];
  error?: ReturnType<typeof dependencyFailedError>;
}

interface DependencyState {
  status: TaskResultStatus;
  value?: unknown;
}

/**
 * Stores the tasks of a workflow and their edges in one transaction (the caller's with
 * `manager`): the stored tasks they depend on are locked and checked first (an unknown one is
 * InvalidTaskError, nothing stored); a dependency already finished counts at once.
 */
export function insertWorkflow(
  dialect: TaskDialect, tasks: NewWorkflowTask[], manager?: EntityManager,
): Promise<StoredWorkflowTask[]> {
  const sql = dialect.workflow;
  return dialect.transaction(async (run) => {
    const existing = [...new Set(tasks.flatMap((task) => task.dependsOn.filter((dep): dep is string => typeof dep === 'string')))];
    const states = new Map<string, DependencyState>();
    if (existing.length > 0) {
      const rows = await run.query<{ id: string; status: TaskResultStatus; return_value: unknown }>(
        sql.lockTasks(existing.length), [...existing].sort());
      for (const row of rows) states.set(row.id, { status: row.status, value: readStoredReturnValue(row.return_value) });
      const missing = existing.filter((id) => !states.has(id));
      if (missing.length > 0) throw new InvalidTaskError(`dependsOn: no task ${missing.join(', ')}.`);
    }
    const stored: StoredWorkflowTask[] = [];
    const withDependents = new Set<string>();
    const format = dateFormatter(sql.formatDate);
    const taskValues: unknown[][] = [];
    const edgeValues: unknown[][] = [];
    for (const task of tasks) {
      const deps = task.dependsOn.map((dep) => {
        if (typeof dep === 'string') return { id: dep, state: states.get(dep)! };
        return { id: tasks[dep.index].row.id, state: { status: stored[dep.index].status } as DependencyState };
      });
      const failed = deps.find(({ state }) => state.status === TaskResultStatus.FAILED || state.status === TaskResultStatus.CANCELLED);
      const cancelOnFailure = task.onDependencyFailure === 'cancel' || task.pipe !== Pipe.None;
      const pending = deps.filter(({ state }) => !FINISHED_STATUSES.includes(state.status)).length;
      let outcome: StoredWorkflowTask;
      let args = task.row.args;
      if (failed && cancelOnFailure) {
        outcome = { status: TaskResultStatus.CANCELLED, error: dependencyFailedError(failed.id, failed.state.status) };
      } else if (pending > 0) {
        outcome = { status: TaskResultStatus.WAITING };
      } else if (task.pipe !== Pipe.None) {
        const values = deps.map(({ state }) => state.value ?? null);
        const full = [task.pipe === Pipe.Values ? values : values[0] ?? null, ...task.row.values.args];
        args = JSON.stringify(full);
        outcome = { status: TaskResultStatus.READY, args: full };
      } else {
        outcome = { status: TaskResultStatus.READY };
      }
      stored.push(outcome);
      const [id, taskName, queueName, priority, , kwargs, backend, runAt, delayMs, maxAttempts, traceContext] = insertValues(task.row, format);
      taskValues.push([id, taskName, outcome.status === TaskResultStatus.READY ? TaskResultStatus.READY : TaskResultStatus.WAITING,
        queueName, priority, args, kwargs, backend, runAt, delayMs, maxAttempts, traceContext,
        task.row.groupId ?? null, task.row.groupPosition ?? null, task.row.metadataJson ?? null, pending,
        task.onDependencyFailure, task.pipe, task.releaseDelayMs]);
      for (const [position, dep] of deps.entries()) {
        edgeValues.push([task.row.id, dep.id, position]);
        if (!FINISHED_STATUSES.includes(dep.state.status)) withDependents.add(dep.id);
      }
    }
    for (const part of chunks(taskValues)) await run.query(sql.insertTasks(part.length), part.flat());
    for (const part of chunks(edgeValues)) await run.query(sql.insertEdges(part.length), part.flat());
    for (const [index, outcome] of stored.entries()) {
      if (outcome.error) await run.query(sql.cancelWithError, [JSON.stringify(outcome.error), tasks[index].row.id]);
    }
    if (withDependents.size > 0) await run.query(sql.markHasDependents(withDependents.size), [...withDependents]);
    return stored;
  }, manager);
}

/**
 * Cancels a READY or WAITING task that has dependents, and them with it, in one transaction.
 * Returns false if the task was not READY or WAITING by then.
 */
export async function cancelWithDependents(dialect: TaskDialect, id: string): Promise<boolean> {
  const sql = dialect.workflow;
  const report = newSettleReport();
  const done = await dialect.transaction(async (run) => {
    const [row] = await run.query<{ status: TaskResultStatus }>(sql.lockTask, [id]);
    if (!row || (row.status !== TaskResultStatus.READY && row.status !== TaskResultStatus.WAITING)) return false;
    await run.query(sql.cancelPending, [id]);
    await settleDependents(run, sql, [{ id, status: TaskResultStatus.CANCELLED }], report);
    return true;
  });
  announceSettled(dialect, report);
  return done;
}

/** Runs settleDependents for a task whose finish was just written in `run`'s transaction, if it has dependents. */
export async function afterFinish(
  run: SqlRunner, dialect: TaskDialect, id: string, report: SettleReport, row?: { status: unknown; has_dependents: unknown },
): Promise<void> {
  const state = row ?? (await run.query<{ status: unknown; has_dependents: unknown }>(dialect.workflow.lockTask, [id]))[0];
  if (!state || (!Number(state.has_dependents) && state.has_dependents !== true)) return;
  const status = state.status as TaskResultStatus;
  if (!FINISHED_STATUSES.includes(status)) return;
  await settleDependents(run, dialect.workflow, [{ id, status }], report);
}

/** Tells the dialect's owner what a settlement changed, once it is committed. */
export function announceSettled(dialect: TaskDialect, report: SettleReport): void {
  for (const queue of report.released) dialect.released?.(queue);
  if (report.cancelled.length > 0) dialect.cascaded?.(report.cancelled);
}

export async function dependencyIds(dialect: TaskDialect, id: string): Promise<string[]> {
  return (await dialect.transaction((run) => run.query<{ id: string }>(dialect.workflow.dependencyIds, [id]))).map((row) => row.id);
}

export async function dependentIds(dialect: TaskDialect, id: string): Promise<string[]> {
  return (await dialect.transaction((run) => run.query<{ id: string }>(dialect.workflow.dependentIds, [id]))).map((row) => row.id);
}

export async function groupRows(dialect: TaskDialect, groupId: string): Promise<{ position: number; row: Partial<TaskRow> }[]> {
  return (await dialect.transaction((run) => run.query(dialect.workflow.groupRows, [groupId])))
    .map((row) => ({ position: Number(row.group_position), row: mapTaskRow(row) }));
}

/** Deletes a finished task and the edges to its dependencies; false if it is not finished (or gone). */
export function forgetTask(dialect: TaskDialect, id: string): Promise<boolean> {
  return dialect.transaction(async (run) => {
    const [row] = await run.query<{ status: TaskResultStatus }>(dialect.workflow.lockTask, [id]);
    if (!row || !FINISHED_STATUSES.includes(row.status)) return false;
    await run.query(dialect.workflow.forgetEdges, [id]);
    await run.query(dialect.workflow.forgetTask, [id]);
    return true;
  });
}

/** A runner over the caller's EntityManager: rows of reads only (drivers differ in what a write returns). */
export function managerRunner(manager: EntityManager): SqlRunner {
  return {
    query: async <R>(sql: string, params: unknown[]) => {
      const result = await manager.query(sql, params);
      return (/^\s*(SELECT|WITH)\b/i.test(sql) && Array.isArray(result) ? result : []) as R[];
    },
  };
}

function chunks<T>(items: T[]): T[][] {
  const parts: T[][] = [];
  for (let start = 0; start < items.length; start += WORKFLOW_ROWS_PER_INSERT) parts.push(items.slice(start, start + WORKFLOW_ROWS_PER_INSERT));
  return parts;
}
