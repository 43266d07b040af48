import type { TaskResult } from '../entities/task-result.entity';
import type { NewTaskRow, TaskDialect } from '../dialects/task-dialect.interface';
import type { ScheduleDbRow, ScheduleDialect } from '../dialects/schedule-dialect.interface';
import { parseJsonColumn, toDate } from '../dialects/shared/task-row.mapper';
import { TaskResultStatus } from '../task-result-status.enum';
import type { ScheduleDefinition, ScheduleStore } from './schedule.store';
import type { TaskSchedule } from './task-schedule.interface';

/** What the store needs of the database backend: its dialect, and the announcement of inserted rows. */
export interface ScheduleBackend {
  readonly dialect: TaskDialect;
  /** Wakes this process's workers and emits `enqueued` for rows committed by another statement. */
  inserted(rows: NewTaskRow[]): TaskResult[];
  getResult(id: string): Promise<TaskResult>;
}

/** Schedules in task_schedules, through the dialect's named schedule statements. */
export class DatabaseScheduleStore implements ScheduleStore {
  private statementsOf?: { dialect: TaskDialect; schedules: ScheduleDialect };

  constructor(private readonly backend: ScheduleBackend) {}

  private get db(): ScheduleDialect {
    const dialect = this.backend.dialect;
    if (this.statementsOf?.dialect !== dialect) this.statementsOf = { dialect, schedules: dialect.schedules() };
    return this.statementsOf.schedules;
  }

  now(): Promise<Date> {
    return this.backend.dialect.now();
  }

  async find(id: string): Promise<TaskSchedule | null> {
    const [row] = await this.db.all(this.db.statements.find, [id]);
    return row ? toSchedule(row) : null;
  }

  async list(): Promise<TaskSchedule[]> {
    return (await this.db.all(this.db.statements.list)).map(toSchedule);
  }

  /**
   * The unpaused schedules of `taskNames`, the earliest due first, and the database's now (in the
   * same round trip, when there are any).
   */
  async upcoming(taskNames: string[], limit: number): Promise<{ now: Date | null; schedules: TaskSchedule[] }> {
    if (taskNames.length === 0) return { now: null, schedules: [] };
    const rows = await this.db.all(this.db.statements.upcoming, [taskNames, limit]);
    return { now: rows.length > 0 ? toDate(rows[0].db_now) : null, schedules: rows.map(toSchedule) };
  }

  async save(definition: ScheduleDefinition, nextRunAt: Date): Promise<void> {
    const { id, taskName, isStatic, cron, timeZone, queueName, priority, backfill, overlap } = definition;
    const args = JSON.stringify(definition.args);
    // Insert if absent, then replace the definition either way: on MySQL the affected-rows count
    // of an insert that found the row cannot be told apart from one that inserted it.
    await this.db.run(this.db.statements.insert,
      [id, taskName, isStatic, cron, timeZone, args, queueName, priority, backfill, overlap, nextRunAt]);
    await this.db.run(this.db.statements.update,
      [cron, timeZone, nextRunAt, taskName, cron, timeZone, args, queueName, priority, backfill, overlap, id]);
  }

  async remove(id: string): Promise<boolean> {
    return (await this.db.run(this.db.statements.remove, [id])) > 0;
  }

  async pause(id: string): Promise<boolean> {
    return (await this.db.run(this.db.statements.pause, [id])) > 0;
  }

  async resume(id: string, nextRunAt: Date): Promise<boolean> {
    return (await this.db.run(this.db.statements.resume, [nextRunAt, id])) > 0;
  }

  async trigger(id: string, row: NewTaskRow, at: Date): Promise<TaskResult> {
    await this.db.transaction(async (tx) => {
      await tx.insertTask(row);
      await tx.run(this.db.statements.markScheduled, [at, row.metadataJson ?? null, row.id]);
      await tx.run(this.db.statements.triggered, [at, row.id, id]);
    });
    this.backend.inserted([row]);
    return this.backend.getResult(row.id);
  }

  /**
   * The compare-and-set of one tick: moves next_run_at from `from` to `to` if no process did it
   * first, and with it inserts `row` (the run of `tick`) in the same transaction. Returns false
   * when another process claimed the step, or the schedule was paused, replaced or removed.
   */
  async advance(id: string, from: Date, to: Date, run: { tick: Date; row: NewTaskRow } | null): Promise<boolean> {
    const { statements } = this.db;
    const won = await this.db.transaction(async (tx) => {
      if (!run) return (await tx.run(statements.advance, [to, id, from])) === 1;
      if ((await tx.run(statements.fire, [to, run.tick, run.row.id, id, from])) !== 1) return false;
      await tx.insertTask(run.row);
      await tx.run(statements.markScheduled, [run.tick, run.row.metadataJson ?? null, run.row.id]);
      return true;
    });
    if (won && run) this.backend.inserted([run.row]);
    return won;
  }

  /** READY or RUNNING: the previous run of a schedule that does not overlap. */
  async isUnfinished(taskId: string): Promise<boolean> {
    const [row] = await this.db.all(this.db.statements.taskStatus, [taskId]);
    return row?.status === TaskResultStatus.READY || row?.status === TaskResultStatus.RUNNING;
  }
}

function toSchedule(row: ScheduleDbRow): TaskSchedule {
  return {
    id: String(row.id),
    taskName: String(row.task_name),
    isStatic: Boolean(Number(row.is_static)),
    cron: String(row.cron),
    timeZone: String(row.time_zone),
    args: parseJsonColumn(row.args) as unknown[],
    queueName: (row.queue_name as string | null) ?? null,
    priority: row.priority === null || row.priority === undefined ? null : Number(row.priority),
    backfill: Number(row.backfill),
    overlap: Boolean(Number(row.overlap)),
    paused: Boolean(Number(row.paused)),
    nextRunAt: toDate(row.next_run_at)!,
    lastRunAt: toDate(row.last_run_at),
    lastTaskId: (row.last_task_id as string | null) ?? null,
    createdAt: toDate(row.created_at)!,
    updatedAt: toDate(row.updated_at)!,
  };
}
