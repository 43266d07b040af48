import type { Logger } from '@nestjs/common';
import type { NewTaskRow } from '../dialects/task-dialect.interface';
import type { TaskDefinition, TaskRegistry } from '../task.registry';
import type { MaintenanceService } from '../worker/maintenance/maintenance-service';
import { CronTicks, planTicks } from './cron-ticks';
import type { DatabaseScheduleStore } from './database-schedule.store';
import type { NestSchedulerRegistry } from './nest-schedule';
import type { TaskSchedule } from './task-schedule.interface';

/** The name of each process's scheduler in @nestjs/schedule's SchedulerRegistry. */
export const SCHEDULER_INTERVAL_NAME = 'nestjs-tasks:scheduler';
/**
 * The longest a scheduler sleeps: schedules created, replaced or resumed by other processes are
 * noticed within it. Otherwise it sleeps until the earliest tick.
 */
export const SCHEDULER_POLL_MS = 1000;
/** Schedules read per pass, the earliest due first; once they have moved on, the next pass reads the following ones. */
const UPCOMING_LIMIT = 100;
/** Wakes a little after a tick rather than before it: a wake-up early by a millisecond would find nothing due. */
const TICK_SLACK_MS = 2;
/** How long stopping waits for a statement in flight (a transaction that never commits changes nothing). */
const STOP_WAIT_MS = 5_000;
/** While the database fails, one warning per this long. */
const WARN_EVERY_MS = 60_000;

export interface SchedulerHooks {
  /** Writes the static schedules of this application (`@Task({ cron })`) before the first pass. */
  syncStatic(): Promise<void>;
  /** The task row of one run of `schedule` for `tick`. */
  runRow(schedule: TaskSchedule, definition: TaskDefinition, tick: Date): NewTaskRow;
}

/**
 * Enqueues the ticks of every schedule whose task this process knows, in every worker process
 * alike, with no leader: each tick is claimed by a compare-and-set on the schedule's
 * next_run_at, in the transaction that inserts its task, so exactly one process enqueues it
 * whatever the number of processes, and a process killed mid-tick leaves the tick to the others.
 * All times are the database's. With @nestjs/schedule's ScheduleModule it is registered there as
 * one interval: deleting it stops this process's scheduling.
 */
export class TaskScheduler implements MaintenanceService {
  private running = false;
  private heartbeat?: NodeJS.Timeout;
  private sleeper?: { timer: NodeJS.Timeout; wake: () => void };
  private loop?: Promise<void>;
  private readonly invalid = new Set<string>();
  private lastWarning = 0;
  private readonly taskNames: string[];
  /** Ticks this process enqueued. */
  enqueued = 0;

  constructor(
    private readonly store: DatabaseScheduleStore,
    private readonly registry: TaskRegistry,
    private readonly hooks: SchedulerHooks,
    private readonly logger: Logger,
    private readonly nestRegistry: NestSchedulerRegistry | null,
  ) {
    this.taskNames = registry.all().map((definition) => definition.name);
  }

  start(): void {
    this.running = true;
    // The loop paces itself (until the earliest tick, at most SCHEDULER_POLL_MS); this interval is
    // what SchedulerRegistry holds: while it is registered there, this process schedules.
    this.heartbeat = setInterval(() => undefined, SCHEDULER_POLL_MS);
    if (this.nestRegistry) {
      if (this.nestRegistry.doesExist('interval', SCHEDULER_INTERVAL_NAME)) this.nestRegistry.deleteInterval(SCHEDULER_INTERVAL_NAME);
      this.nestRegistry.addInterval(SCHEDULER_INTERVAL_NAME, this.heartbeat);
    }
    this.loop = this.run();
  }

  stop(): void {
    this.running = false;
    clearInterval(this.heartbeat);
    if (this.nestRegistry && this.registered()) this.nestRegistry.deleteInterval(SCHEDULER_INTERVAL_NAME);
    this.sleeper?.wake();
  }

  /** Resolves when the loop has ended after stop(), or after STOP_WAIT_MS if a statement hangs. */
  async stopped(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.loop, new Promise((resolve) => (timer = setTimeout(resolve, STOP_WAIT_MS)))]);
    clearTimeout(timer);
  }

  /** A failing database is reported once, then once a minute while it lasts. */
  private warn(message: string): void {
    if (Date.now() - this.lastWarning < WARN_EVERY_MS) return;
    this.lastWarning = Date.now();
    this.logger.warn(message);
  }

  private registered(): boolean {
    const registry = this.nestRegistry!;
    return registry.doesExist('interval', SCHEDULER_INTERVAL_NAME) && registry.getInterval(SCHEDULER_INTERVAL_NAME) === this.heartbeat;
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        await this.hooks.syncStatic();
        break;
      } catch (error) {
        this.warn(`Could not write the static schedules (retrying): ${(error as Error).message}`);
        await this.sleep(SCHEDULER_POLL_MS);
      }
    }
    while (this.running) {
      if (this.nestRegistry && !this.registered()) {
        this.logger.log(`Interval ${SCHEDULER_INTERVAL_NAME} was removed from the SchedulerRegistry: this process stops scheduling.`);
        this.stop();
        break;
      }
      let sleep = SCHEDULER_POLL_MS;
      try {
        sleep = await this.pass();
        this.lastWarning = 0;
      } catch (error) {
        this.warn(`Could not run the schedules (retrying every second): ${(error as Error).message}`);
      }
      await this.sleep(sleep);
    }
  }

  /** Enqueues what is due; returns how long to sleep until the next tick of a schedule, at most SCHEDULER_POLL_MS. */
  async pass(): Promise<number> {
    // Only schedules of tasks this application defines: another application's workers run theirs.
    const { now, schedules } = await this.store.upcoming(this.taskNames, UPCOMING_LIMIT);
    let sleep = SCHEDULER_POLL_MS;
    if (now === null) return sleep;
    for (const schedule of schedules) {
      if (!this.running) break;
      const definition = this.registry.get(schedule.taskName);
      if (!definition) continue;
      let next: Date | null = schedule.nextRunAt;
      if (schedule.nextRunAt <= now) next = await this.runDue(schedule, definition, now);
      // null: another process moved it first; read it again at once.
      sleep = Math.min(sleep, next === null ? 0 : Math.max(0, next.getTime() - now.getTime()) + TICK_SLACK_MS);
    }
    return sleep;
  }

  /** Claims the due steps of one schedule; returns its next tick, or null when another process got there first. */
  private async runDue(schedule: TaskSchedule, definition: TaskDefinition, now: Date): Promise<Date | null> {
    let ticks: CronTicks;
    try {
      ticks = new CronTicks(schedule.cron, schedule.timeZone);
    } catch (error) {
      if (!this.invalid.has(schedule.id)) {
        this.invalid.add(schedule.id);
        this.logger.error(`Schedule ${schedule.id} cannot run: ${(error as Error).message}`);
      }
      return new Date(now.getTime() + SCHEDULER_POLL_MS);
    }
    let lastTaskId = schedule.lastTaskId;
    let next = schedule.nextRunAt;
    for (const step of planTicks(ticks, schedule.nextRunAt, schedule.backfill, now)) {
      if (!this.running) break;
      let run: { tick: Date; row: NewTaskRow } | null = null;
      if (step.tick) {
        if (!schedule.overlap && lastTaskId !== null && (await this.store.isUnfinished(lastTaskId))) {
          this.logger.debug(`Skipped tick ${step.tick.toISOString()} of schedule ${schedule.id}: its previous run ${lastTaskId} is unfinished (overlap: false).`);
        } else {
          run = { tick: step.tick, row: this.hooks.runRow(schedule, definition, step.tick) };
        }
      } else {
        this.logger.log(`Skipped the ticks of schedule ${schedule.id} from ${step.from.toISOString()} to ${step.to.toISOString()}: missed beyond its backfill window.`);
      }
      if (!(await this.store.advance(schedule.id, step.from, step.to, run))) return null;
      if (run) {
        lastTaskId = run.row.id;
        this.enqueued++;
      }
      next = step.to;
    }
    return next;
  }

  private sleep(ms: number): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleeper = undefined;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleeper = { timer, wake };
    });
  }
}
