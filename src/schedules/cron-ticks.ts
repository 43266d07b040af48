import type { CronTime } from 'cron';

/** `cron` (and luxon with it) loads with the first schedule: an application without any never has it in memory. */
function cronTime(): typeof CronTime {
  return (require('cron') as typeof import('cron')).CronTime;
}

/** A tick seen this late still runs, even without `backfill`. */
export const LATE_TICK_MS = 60_000;
/** Ticks walked per schedule and pass: a long backfill continues at the next pass. */
export const MAX_TICKS_PER_PASS = 100;

/**
 * The ticks of one cron expression in one zone, as the `cron` package (and so `@Cron()`)
 * computes them, including across DST changes. Throws the package's `CronError` for an invalid
 * expression or zone.
 */
export class CronTicks {
  private readonly time: CronTime;

  constructor(readonly cron: string, readonly timeZone: string) {
    this.time = new (cronTime())(cron, timeZone);
    // An unknown zone is only noticed when a date is computed.
    this.after(new Date());
  }

  /** The first tick strictly after `date`. */
  after(date: Date): Date {
    return this.time.getNextDateFrom(date, this.timeZone).toJSDate();
  }

  /** The first tick at or after `date`. */
  atOrAfter(date: Date): Date {
    return this.after(new Date(date.getTime() - 1));
  }
}

/** One compare-and-set on a schedule's next_run_at: `from` → `to`, enqueuing `tick` unless null. */
export interface TickStep {
  from: Date;
  to: Date;
  tick: Date | null;
}

/**
 * What a scheduler does with a schedule due at `nextRunAt` when the database's clock says `now`:
 * every tick within `backfill` of now runs, and so does the latest due tick if it is at most a
 * minute late; the others are skipped. Each step moves next_run_at forward, so a tick can be
 * claimed by one process only. Ticks are walked at most MAX_TICKS_PER_PASS at a time.
 */
export function planTicks(ticks: CronTicks, nextRunAt: Date, backfill: number, now: Date): TickStep[] {
  if (nextRunAt > now) return [];
  const oldest = new Date(now.getTime() - Math.max(backfill, LATE_TICK_MS));
  const due: Date[] = [];
  let upcoming = nextRunAt >= oldest ? nextRunAt : ticks.atOrAfter(oldest);
  while (upcoming <= now && due.length < MAX_TICKS_PER_PASS) {
    due.push(upcoming);
    upcoming = ticks.after(upcoming);
  }
  const backfillFrom = now.getTime() - backfill;
  const steps: TickStep[] = [];
  let current = nextRunAt;
  due.forEach((tick, index) => {
    const latest = index === due.length - 1 && upcoming > now;
    if (!latest && tick.getTime() < backfillFrom) return;
    const next = index + 1 < due.length ? due[index + 1] : upcoming;
    if (current.getTime() !== tick.getTime()) steps.push({ from: current, to: tick, tick: null });
    steps.push({ from: tick, to: next, tick });
    current = next;
  });
  if (current <= now) steps.push({ from: current, to: upcoming, tick: null });
  return steps;
}
