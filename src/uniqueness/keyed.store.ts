import type { EntityManager } from 'typeorm';
import type { TaskRow } from '../core/task-row';
import { mapTaskRow } from '../dialects/shared/task-row.mapper';
import type { SqlRunner } from '../dialects/workflow-statements.interface';
import { TaskThrottledError, TasksError } from '../task.errors';
import type { KeyedTask, UniquenessDialect } from './uniqueness-dialect.interface';

/** What a keyed enqueue resolved to: the row stored, or the pending (or throttle-accepted) task found. */
export interface KeyedOutcome {
  /** The task's row as stored; null when it is the row given, inserted as it was (nothing read back, as a plain enqueue). */
  row: Partial<TaskRow> | null;
  /** False: an existing task (`deduplicated`). */
  inserted: boolean;
  /** A row was written: inserted, or a pending task replaced (its run time may have moved). */
  written: boolean;
}

/**
 * Enqueues `tasks` in order, each under its key, in one transaction (the caller's with `manager`);
 * with `throttleMs`, each is first checked against the key's window.
 */
export async function enqueueKeyed(
  unique: UniquenessDialect, tasks: KeyedTask[], throttleMs: number | null, manager?: EntityManager,
): Promise<KeyedOutcome[]> {
  const sql = unique.statements;
  if (unique.single && !manager && throttleMs === null && tasks.length === 1) {
    const row = await unique.single(tasks[0]);
    if (row) return [outcome(tasks[0], row)];
  }
  return unique.transaction(async (run) => {
    const outcomes: KeyedOutcome[] = [];
    for (const task of tasks) {
      const refused = throttleMs === null ? null : await throttled(run, unique, task, throttleMs);
      if (refused) {
        outcomes.push({ row: mapTaskRow(refused), inserted: false, written: false });
        continue;
      }
      const [returned] = await run.query(sql.upsert, sql.upsertParams(task));
      const complete = returned && (returned.id === task.row.id || 'task_name' in returned);
      const row = complete ? returned : (await run.query(sql.pendingLocked, sql.pendingParams(task.row.taskName, task.row.uniqueKey)))[0];
      const result = outcome(task, row);
      if (throttleMs !== null && !result.inserted) {
        await run.query(sql.throttleRecord, [row!.id, ...sql.keyParams(task.row.taskName, task.row.uniqueKey)]);
      }
      outcomes.push(result);
    }
    return outcomes;
  }, manager);
}

/** The pending task holding `key` of `taskName`, or null. */
export async function pendingByKey(unique: UniquenessDialect, taskName: string, key: string): Promise<Partial<TaskRow> | null> {
  const sql = unique.statements;
  const [row] = await unique.transaction((run) => run.query(sql.pending, sql.pendingParams(taskName, key)));
  return row ? mapTaskRow(row) : null;
}

/**
 * Takes the key's throttle window for `task` if it is open; else the row of the task accepted in
 * the window, or TaskThrottledError when that task is gone.
 */
async function throttled(
  run: SqlRunner, unique: UniquenessDialect, task: KeyedTask, throttleMs: number,
): Promise<Record<string, unknown> | null> {
  const sql = unique.statements;
  const key = sql.keyParams(task.row.taskName, task.row.uniqueKey);
  // The write locks the key's row, so the read that follows sees the latest committed holder.
  await run.query(sql.throttleAcquire, [...key, task.row.id, throttleMs]);
  const [holder] = await run.query<{ task_id: string }>(sql.throttleHolder, key);
  if (holder?.task_id === task.row.id) return null;
  const [accepted] = holder ? await run.query(sql.byId, [holder.task_id]) : [];
  if (!accepted) throw new TaskThrottledError(task.row.taskName, task.row.uniqueKey);
  return accepted;
}

function outcome(task: KeyedTask, row: Record<string, unknown> | undefined): KeyedOutcome {
  // The statement holds the pending row's lock until its transaction ends: it cannot be gone.
  if (!row) throw new TasksError(`Enqueue of ${task.row.taskName} with key "${task.row.uniqueKey}" found no pending task after its upsert.`);
  const inserted = row.id === task.row.id;
  return { row: inserted ? null : mapTaskRow(row), inserted, written: inserted || task.replace };
}
