import type { TaskResult } from '../entities/task-result.entity';
import type { NewTaskRow } from '../dialects/task-dialect.interface';
import type { TaskBackend } from '../backends/task-backend.interface';
import type { ScheduleDefinition, ScheduleStore } from './schedule.store';
import type { TaskSchedule } from './task-schedule.interface';

/**
 * Schedules of the `immediate` and `dummy` backends, kept in memory: they can be created,
 * listed, paused and triggered (the run goes through the backend: `immediate` runs it at once,
 * `dummy` records it), but nothing ticks, since there is no worker.
 */
export class MemoryScheduleStore implements ScheduleStore {
  private readonly schedules = new Map<string, TaskSchedule>();

  constructor(private readonly backend: TaskBackend) {}

  async now(): Promise<Date> {
    return new Date();
  }

  async find(id: string): Promise<TaskSchedule | null> {
    const schedule = this.schedules.get(id);
    return schedule ? { ...schedule } : null;
  }

  async list(): Promise<TaskSchedule[]> {
    return [...this.schedules.values()].sort((a, b) => (a.id < b.id ? -1 : 1)).map((schedule) => ({ ...schedule }));
  }

  async save(definition: ScheduleDefinition, nextRunAt: Date): Promise<void> {
    const existing = this.schedules.get(definition.id);
    const now = new Date();
    const retimed = !existing || existing.cron !== definition.cron || existing.timeZone !== definition.timeZone;
    this.schedules.set(definition.id, {
      ...definition,
      paused: existing?.paused ?? false,
      nextRunAt: retimed ? nextRunAt : existing.nextRunAt,
      lastRunAt: existing?.lastRunAt ?? null,
      lastTaskId: existing?.lastTaskId ?? null,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    });
  }

  async remove(id: string): Promise<boolean> {
    return this.schedules.delete(id);
  }

  async pause(id: string): Promise<boolean> {
    const schedule = this.schedules.get(id);
    if (schedule) Object.assign(schedule, { paused: true, updatedAt: new Date() });
    return Boolean(schedule);
  }

  async resume(id: string, nextRunAt: Date): Promise<boolean> {
    const schedule = this.schedules.get(id);
    if (!schedule?.paused) return false;
    Object.assign(schedule, { paused: false, nextRunAt, updatedAt: new Date() });
    return true;
  }

  async trigger(id: string, row: NewTaskRow, at: Date): Promise<TaskResult> {
    const schedule = this.schedules.get(id);
    if (schedule) Object.assign(schedule, { lastRunAt: at, lastTaskId: row.id, updatedAt: new Date() });
    const [result] = await this.backend.enqueue([{ ...row, scheduledAt: at }]);
    return result;
  }
}
