import { InvalidTaskError } from '../task.errors';
import { validatePriority } from '../task.validation';
import { CronTicks } from './cron-ticks';
import type { ScheduleOptions } from './task-schedule.interface';

/** Schedule options checked, with defaults: what is stored. */
export interface ValidSchedule {
  cron: string;
  timeZone: string;
  backfill: number;
  overlap: boolean;
  queueName: string | null;
  priority: number | null;
  ticks: CronTicks;
}

/**
 * Checks `options` for the schedule described by `where` (`@Task() on Reports.nightly`,
 * `schedule(digest:42)`); throws `InvalidTaskError` naming it and the bad option.
 */
export function validateSchedule(where: string, options: Partial<ScheduleOptions>): ValidSchedule {
  const { cron, timeZone = 'UTC', backfill = 0, overlap = true, queueName, priority } = options;
  if (typeof cron !== 'string' || cron.trim() === '') {
    throw new InvalidTaskError(`${where}: cron must be a cron expression such as '0 3 * * *', got ${JSON.stringify(cron)}.`);
  }
  if (typeof timeZone !== 'string' || timeZone === '') {
    throw new InvalidTaskError(`${where}: timeZone must be an IANA time zone such as 'Europe/Paris', got ${JSON.stringify(timeZone)}.`);
  }
  let ticks: CronTicks;
  try {
    ticks = new CronTicks(cron, timeZone);
  } catch (error) {
    const message = (error as Error).message;
    const what = /time ?zone/i.test(message) ? `time zone ${JSON.stringify(timeZone)}` : `cron expression ${JSON.stringify(cron)}`;
    throw new InvalidTaskError(`${where}: invalid ${what}: ${message}`);
  }
  if (typeof backfill !== 'number' || !Number.isSafeInteger(backfill) || backfill < 0) {
    throw new InvalidTaskError(`${where}: backfill must be a whole number of milliseconds >= 0, got ${String(backfill)}.`);
  }
  if (typeof overlap !== 'boolean') {
    throw new InvalidTaskError(`${where}: overlap must be true or false, got ${JSON.stringify(overlap)}.`);
  }
  if (queueName !== undefined && (typeof queueName !== 'string' || queueName === '')) {
    throw new InvalidTaskError(`${where}: queueName must be a non-empty string.`);
  }
  return {
    cron: cron.trim(),
    timeZone,
    backfill,
    overlap,
    queueName: queueName ?? null,
    priority: priority === undefined ? null : validatePriority(priority, where),
    ticks,
  };
}
