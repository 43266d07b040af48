import type { NewTaskRow } from './task-dialect.interface';

export type ScheduleDbRow = Record<string, unknown>;

/** Statements run on one connection; parameters are positional, Dates and booleans as given. */
export interface ScheduleStatementRunner {
  all(sql: string, params?: readonly unknown[]): Promise<ScheduleDbRow[]>;
  /** Returns how many rows the statement changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
}

export interface ScheduleTransaction extends ScheduleStatementRunner {
  /** The dialect's own `insert` of one task row, inside this transaction. */
  insertTask(row: NewTaskRow): Promise<void>;
}

/**
 * The named statements of periodic tasks (table task_schedules), the same names in every
 * dialect (`src/dialects/<db>/schedules.statements.ts`), each documented with its parameters in
 * order. Rows come back with the columns of task_schedules; dates as Date or UTC text.
 */
export interface ScheduleStatements {
  /**
   * task names (an array: JSON text on SQLite), limit: the unpaused schedules of these tasks in
   * next_run_at order, each with the database's now as db_now.
   */
  upcoming: string;
  /** id. */
  find: string;
  /** Every schedule, by id. */
  list: string;
  /** id, task_name, is_static, cron, time_zone, args, queue_name, priority, backfill, overlap, next_run_at: inserts unless the id exists. */
  insert: string;
  /**
   * cron, time_zone, next_run_at, task_name, cron, time_zone, args, queue_name, priority,
   * backfill, overlap, id: replaces the definition and keeps `paused`; next_run_at changes only
   * with the cron expression or zone, so a replace that changes neither never repeats a tick.
   */
  update: string;
  /** id. */
  remove: string;
  /** id. */
  pause: string;
  /** next_run_at, id: unpauses, starting from the given tick (ticks missed while paused are not run). */
  resume: string;
  /** to, id, from: the compare-and-set that skips ticks. */
  advance: string;
  /** to, tick, task_id, id, from: the compare-and-set that claims `tick` for the task inserted with it. */
  fire: string;
  /** tick, task_id, id: records a run enqueued by triggerSchedule(). */
  triggered: string;
  /** scheduled_at, metadata (JSON text), task_id: the tick on the task row. */
  markScheduled: string;
  /** task_id: its status, if the row still exists. */
  taskStatus: string;
}

/**
 * What periodic tasks need of a database: its named statements and a transaction in which a
 * tick's compare-and-set and its task's insert commit together (or not at all).
 */
export interface ScheduleDialect extends ScheduleStatementRunner {
  readonly statements: ScheduleStatements;
  transaction<T>(work: (tx: ScheduleTransaction) => Promise<T>): Promise<T>;
}
