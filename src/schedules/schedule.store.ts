import type { TaskResult } from '../entities/task-result.entity';
import type { NewTaskRow } from '../dialects/task-dialect.interface';
import type { TaskSchedule } from './task-schedule.interface';

/** A schedule as written: its definition, without the state and times the store keeps. */
export type ScheduleDefinition = Omit<TaskSchedule, 'paused' | 'nextRunAt' | 'lastRunAt' | 'lastTaskId' | 'createdAt' | 'updatedAt'>;

/** Where schedules live: the database (task_schedules), or memory for the `immediate` and `dummy` backends. */
export interface ScheduleStore {
  /** The clock ticks are computed from: the database's. */
  now(): Promise<Date>;
  find(id: string): Promise<TaskSchedule | null>;
  list(): Promise<TaskSchedule[]>;
  /**
   * Creates the schedule starting at `nextRunAt`, or replaces its definition, keeping `paused`
   * and, unless the cron expression or zone changed, its next tick.
   */
  save(definition: ScheduleDefinition, nextRunAt: Date): Promise<void>;
  remove(id: string): Promise<boolean>;
  pause(id: string): Promise<boolean>;
  /** Unpauses, with ticks starting at `nextRunAt`. */
  resume(id: string, nextRunAt: Date): Promise<boolean>;
  /** Enqueues `row` as a run of schedule `id` for tick `at`, now. */
  trigger(id: string, row: NewTaskRow, at: Date): Promise<TaskResult>;
}
