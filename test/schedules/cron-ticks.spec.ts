import { CronTicks, planTicks, TickStep } from '../../src/schedules/cron-ticks';

const at = (iso: string) => new Date(iso);
const iso = (steps: TickStep[]) => steps.map((step) => ({
  from: step.from.toISOString(), to: step.to.toISOString(), tick: step.tick?.toISOString() ?? null,
}));

describe('tick computation (the cron package\'s CronTime, from a given clock)', () => {
  it('follows the zone\'s wall clock through DST, as the cron package defines it', () => {
    // Europe/Paris: 2026-03-29 02:00 CET becomes 03:00 CEST; 2026-10-25 03:00 CEST becomes 02:00 CET.
    const daily = new CronTicks('30 2 * * *', 'Europe/Paris');
    const spring: string[] = [];
    for (let tick = at('2026-03-27T12:00:00Z'), i = 0; i < 3; i++) spring.push((tick = daily.after(tick)).toISOString());
    // 02:30 does not exist on the 29th: that day's run is at 03:00 CEST (01:00 UTC), once.
    expect(spring).toEqual(['2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z']);
    const fall: string[] = [];
    for (let tick = at('2026-10-23T12:00:00Z'), i = 0; i < 3; i++) fall.push((tick = daily.after(tick)).toISOString());
    // 02:30 happens twice on the 25th: it runs at the first one (CEST), once.
    expect(fall).toEqual(['2026-10-24T00:30:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
    // An hourly schedule runs at both 02:00 of the night the clocks go back.
    const hourly = new CronTicks('0 * * * *', 'Europe/Paris');
    const hours: string[] = [];
    for (let tick = at('2026-10-24T23:30:00Z'), i = 0; i < 4; i++) hours.push((tick = hourly.after(tick)).toISOString());
    expect(hours).toEqual(['2026-10-25T00:00:00.000Z', '2026-10-25T01:00:00.000Z', '2026-10-25T02:00:00.000Z', '2026-10-25T03:00:00.000Z']);
  });

  it('computes ticks in UTC, or in the zone given', () => {
    expect(new CronTicks('0 3 * * *', 'UTC').after(at('2026-06-01T00:00:00Z')).toISOString()).toBe('2026-06-01T03:00:00.000Z');
    expect(new CronTicks('0 3 * * *', 'America/New_York').after(at('2026-06-01T00:00:00Z')).toISOString()).toBe('2026-06-01T07:00:00.000Z');
  });

  it('refuses an invalid expression or zone', () => {
    expect(() => new CronTicks('61 * * * *', 'UTC')).toThrow(/out of range/);
    expect(() => new CronTicks('* * * * *', 'Mars/Olympus')).toThrow(/time ?zone/i);
  });

  const everySecond = new CronTicks('* * * * * *', 'UTC');

  it('runs a tick that is due, then moves to the next one', () => {
    expect(iso(planTicks(everySecond, at('2026-01-01T00:00:10Z'), 0, at('2026-01-01T00:00:10.050Z')))).toEqual([
      { from: '2026-01-01T00:00:10.000Z', to: '2026-01-01T00:00:11.000Z', tick: '2026-01-01T00:00:10.000Z' },
    ]);
    expect(planTicks(everySecond, at('2026-01-01T00:00:11Z'), 0, at('2026-01-01T00:00:10.999Z'))).toEqual([]);
  });

  it('without backfill, skips missed ticks but runs the latest if at most a minute late', () => {
    expect(iso(planTicks(everySecond, at('2026-01-01T00:00:10Z'), 0, at('2026-01-01T00:00:15.200Z')))).toEqual([
      { from: '2026-01-01T00:00:10.000Z', to: '2026-01-01T00:00:15.000Z', tick: null },
      { from: '2026-01-01T00:00:15.000Z', to: '2026-01-01T00:00:16.000Z', tick: '2026-01-01T00:00:15.000Z' },
    ]);
    const daily = new CronTicks('0 3 * * *', 'UTC');
    // 50 s late: still runs.
    expect(iso(planTicks(daily, at('2026-01-01T03:00:00Z'), 0, at('2026-01-01T03:00:50Z')))[0].tick).toBe('2026-01-01T03:00:00.000Z');
    // Two minutes late: skipped to tomorrow.
    expect(iso(planTicks(daily, at('2026-01-01T03:00:00Z'), 0, at('2026-01-01T03:02:00Z')))).toEqual([
      { from: '2026-01-01T03:00:00.000Z', to: '2026-01-02T03:00:00.000Z', tick: null },
    ]);
  });

  it('with backfill, runs each missed tick within the window once, in order', () => {
    const steps = iso(planTicks(everySecond, at('2026-01-01T00:00:10Z'), 3_000, at('2026-01-01T00:00:15.500Z')));
    expect(steps).toEqual([
      { from: '2026-01-01T00:00:10.000Z', to: '2026-01-01T00:00:13.000Z', tick: null },
      { from: '2026-01-01T00:00:13.000Z', to: '2026-01-01T00:00:14.000Z', tick: '2026-01-01T00:00:13.000Z' },
      { from: '2026-01-01T00:00:14.000Z', to: '2026-01-01T00:00:15.000Z', tick: '2026-01-01T00:00:14.000Z' },
      { from: '2026-01-01T00:00:15.000Z', to: '2026-01-01T00:00:16.000Z', tick: '2026-01-01T00:00:15.000Z' },
    ]);
    const daily = new CronTicks('0 3 * * *', 'UTC');
    const days = planTicks(daily, at('2026-01-01T03:00:00Z'), 3 * 86_400_000, at('2026-01-04T12:00:00Z'));
    expect(days.map((step) => step.tick?.toISOString())).toEqual(
      ['2026-01-02T03:00:00.000Z', '2026-01-03T03:00:00.000Z', '2026-01-04T03:00:00.000Z'].flatMap((tick, index) =>
        (index === 0 ? [undefined, tick] : [tick])));
  });

  it('plans through a DST change with the clock given: the spring night\'s run at 03:00, then the next day\'s', () => {
    const daily = new CronTicks('30 2 * * *', 'Europe/Paris');
    const due = daily.after(at('2026-03-28T12:00:00Z'));
    expect(due.toISOString()).toBe('2026-03-29T01:00:00.000Z');
    expect(iso(planTicks(daily, due, 0, at('2026-03-29T01:00:00.300Z')))).toEqual([
      { from: '2026-03-29T01:00:00.000Z', to: '2026-03-30T00:30:00.000Z', tick: '2026-03-29T01:00:00.000Z' },
    ]);
    // Down across the autumn change with a day of backfill: the 02:30 of that night runs once.
    const autumn = planTicks(daily, at('2026-10-25T00:30:00Z'), 86_400_000, at('2026-10-25T04:00:00Z'));
    expect(iso(autumn)).toEqual([
      { from: '2026-10-25T00:30:00.000Z', to: '2026-10-26T01:30:00.000Z', tick: '2026-10-25T00:30:00.000Z' },
    ]);
  });

  it('walks a long backlog a bounded number of ticks at a time', () => {
    const steps = planTicks(everySecond, at('2026-01-01T00:00:00Z'), 3_600_000, at('2026-01-01T01:00:00Z'));
    expect(steps.length).toBeLessThanOrEqual(101);
    expect(steps[steps.length - 1].to <= at('2026-01-01T01:00:00Z')).toBe(true);
  });
});
