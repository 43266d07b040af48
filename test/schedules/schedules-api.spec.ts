import { Injectable } from '@nestjs/common';
import {
  call, InvalidTaskArgumentsError, InvalidTaskError, Task, TaskResultStatus, TaskScheduleNotFoundError, TaskService,
} from '../../src';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TEST_DB, TestDatabase } from '../support/test-database';
import { waitUntil } from '../support/wait-until';

@Injectable()
class Reports {
  static runs: { args: unknown[]; scheduledAt: Date | null }[] = [];

  constructor(private readonly tasks: TaskService) {}

  @Task()
  async digest(userId: number): Promise<number> {
    Reports.runs.push({ args: [userId], scheduledAt: this.tasks.context().scheduledAt });
    return userId;
  }

  @Task({ name: 'reports.other' })
  async other(): Promise<void> {}

  @Task({ cron: '0 3 * * *', timeZone: 'Europe/Paris', args: ['all'], overlap: false })
  async nightly(scope: string): Promise<string> {
    return scope;
  }
}

describe(`periodic tasks: the TaskService API (${TEST_DB})`, () => {
  let db: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db, [Reports]);
  });
  afterAll(async () => {
    await t?.close();
    await db?.cleanup();
  });
  beforeEach(async () => {
    for (const schedule of await t.tasks.listSchedules()) await t.tasks.unschedule(schedule.id);
    Reports.runs = [];
  });

  it('creates a schedule whose next tick is computed from the database clock, and lists it', async () => {
    const before = Date.now();
    const created = await t.tasks.schedule('digest:42', call(Reports, 'digest', [42]), { cron: '0 8 * * MON' });
    expect(created).toMatchObject({
      id: 'digest:42', taskName: 'Reports.digest', isStatic: false, cron: '0 8 * * MON', timeZone: 'UTC', args: [42],
      paused: false, backfill: 0, overlap: true, queueName: null, priority: null, lastRunAt: null, lastTaskId: null,
    });
    expect(created.nextRunAt.getUTCDay()).toBe(1);
    expect(created.nextRunAt.getUTCHours()).toBe(8);
    expect(created.nextRunAt.getTime()).toBeGreaterThan(before);
    expect(created.nextRunAt.getTime()).toBeLessThanOrEqual(before + 7 * 86_400_000 + 5_000);
    expect((await t.tasks.listSchedules()).map((schedule) => schedule.id)).toEqual(['digest:42']);
  });

  it('replaces a schedule keeping paused, and its next tick unless cron or zone changed', async () => {
    await t.tasks.schedule('digest:1', call(Reports, 'digest', [1]), { cron: '0 8 * * *' });
    const paused = await t.tasks.pauseSchedule('digest:1');
    expect(paused.paused).toBe(true);
    const sameTicks = await t.tasks.schedule('digest:1', call(Reports, 'digest', [2]), { cron: '0 8 * * *', priority: 5, backfill: 60_000 });
    expect(sameTicks).toMatchObject({ paused: true, args: [2], priority: 5, backfill: 60_000, nextRunAt: paused.nextRunAt });
    const moved = await t.tasks.schedule('digest:1', call(Reports, 'digest', [2]), { cron: '0 8 * * *', timeZone: 'Asia/Tokyo' });
    expect(moved.paused).toBe(true);
    expect(moved.nextRunAt.getUTCHours()).toBe(23);
    const resumed = await t.tasks.resumeSchedule('digest:1');
    expect(resumed.paused).toBe(false);
    expect(resumed.nextRunAt.getTime()).toBeGreaterThan(Date.now() - 5_000);
  });

  it('triggers a run now, recorded as the schedule\'s last run, with its tick on the row', async () => {
    await t.tasks.schedule('digest:7', call(Reports, 'digest', [7]), { cron: '0 8 * * *', queueName: 'default' });
    await t.tasks.pauseSchedule('digest:7');
    const result = await t.tasks.triggerSchedule<number>('digest:7');
    expect(result).toMatchObject({ taskName: 'Reports.digest', status: TaskResultStatus.READY, args: [7] });
    expect(result.scheduledAt).toBeInstanceOf(Date);
    expect(Math.abs(result.scheduledAt!.getTime() - Date.now())).toBeLessThan(5_000);
    const schedule = (await t.tasks.listSchedules())[0];
    expect(schedule.lastTaskId).toBe(result.id);
    expect(schedule.lastRunAt).toEqual(result.scheduledAt);
    const tick = { schedule: 'digest:7', scheduledAt: result.scheduledAt!.toISOString() };
    expect(result.metadata).toEqual(tick);
    expect((await t.tasks.getResult(result.id)).metadata).toEqual(tick);
    const run = t.worker.run({ scheduler: false });
    await expect(result.wait({ timeout: 10_000 })).resolves.toBe(7);
    await t.worker.stop();
    await run;
    expect(Reports.runs).toEqual([{ args: [7], scheduledAt: result.scheduledAt }]);
  });

  it('unschedules, and names an unknown schedule', async () => {
    await t.tasks.schedule('digest:9', call(Reports, 'digest', [9]), { cron: '* * * * *' });
    await expect(t.tasks.unschedule('digest:9')).resolves.toBe(true);
    await expect(t.tasks.unschedule('digest:9')).resolves.toBe(false);
    await expect(t.tasks.pauseSchedule('digest:9')).rejects.toThrow(TaskScheduleNotFoundError);
    await expect(t.tasks.resumeSchedule('nope')).rejects.toThrow(/No task schedule with id "nope"/);
    await expect(t.tasks.triggerSchedule('nope')).rejects.toThrow(TaskScheduleNotFoundError);
  });

  it('refuses bad input with typed errors, storing nothing', async () => {
    await t.tasks.schedule('digest:3', call(Reports, 'digest', [3]), { cron: '0 8 * * *' });
    const before = await t.tasks.listSchedules();
    const digest = call(Reports, 'digest', [1]);
    await expect(t.tasks.schedule('a', digest, { cron: 'every day' })).rejects.toThrow(InvalidTaskError);
    await expect(t.tasks.schedule('a', digest, { cron: '61 * * * *' })).rejects.toThrow(/schedule\("a"\): invalid cron expression "61 \* \* \* \*"/);
    await expect(t.tasks.schedule('a', digest, { cron: '* * * * *', timeZone: 'Mars/Olympus' })).rejects.toThrow(/invalid time zone "Mars\/Olympus"/);
    await expect(t.tasks.schedule('a', digest, { cron: '* * * * *', backfill: -1 })).rejects.toThrow(/backfill must be a whole number of milliseconds >= 0/);
    await expect(t.tasks.schedule('a', digest, { cron: '* * * * *', priority: 500 })).rejects.toThrow(/priority/);
    await expect(t.tasks.schedule('a', call('Nope.nothing', []), { cron: '* * * * *' })).rejects.toThrow(/"Nope.nothing" is not a task/);
    await expect(t.tasks.schedule('a', call(Reports, 'digest', [1], { priority: 5 }), { cron: '* * * * *' })).rejects.toThrow(/options of schedule\(\), not of call\(\)/);
    await expect(t.tasks.schedule('a', call(Reports, 'digest', [new Date() as never]), { cron: '* * * * *' }))
      .rejects.toThrow(InvalidTaskArgumentsError);
    await expect(t.tasks.schedule('digest:3', call('reports.other', []), { cron: '* * * * *' }))
      .rejects.toThrow(/already the schedule of task Reports.digest, not reports.other/);
    await expect(t.tasks.schedule('', digest, { cron: '* * * * *' })).rejects.toThrow(/non-empty string/);
    expect(await t.tasks.listSchedules()).toEqual(before);
  });

  it('writes the static schedules of @Task({ cron }) when a worker starts, and ticks in-process', async () => {
    const run = t.worker.run();
    await waitUntil(async () => (await t.tasks.listSchedules()).some((schedule) => schedule.id === 'Reports.nightly'), 10_000, 'static schedule');
    const nightly = (await t.tasks.listSchedules()).find((schedule) => schedule.id === 'Reports.nightly')!;
    expect(nightly).toMatchObject({ isStatic: true, taskName: 'Reports.nightly', cron: '0 3 * * *', timeZone: 'Europe/Paris', args: ['all'], overlap: false });
    await expect(t.tasks.schedule('Reports.nightly', call(Reports, 'nightly', ['x']), { cron: '* * * * *' }))
      .rejects.toThrow(/static schedule of @Task\(\{ cron \}\)/);
    await t.tasks.schedule('every-second', call(Reports, 'digest', [1]), { cron: '* * * * * *' });
    await waitUntil(() => Reports.runs.length >= 2, 10_000, 'two ticks run');
    await t.tasks.pauseSchedule('every-second');
    await t.worker.stop();
    await run;
    const ticks = Reports.runs.map((r) => r.scheduledAt!.getTime());
    expect(ticks.every((tick) => tick % 1000 === 0)).toBe(true);
    expect(new Set(ticks).size).toBe(ticks.length);
  });
});

describe(`static schedules across releases (${TEST_DB})`, () => {
  it('a task that loses its cron loses its static schedule at the next worker start; other applications\' are left alone', async () => {
    const db = await createTestDatabase();
    @Injectable()
    class Before {
      @Task({ name: 'jobs.cleanup', cron: '0 * * * *' })
      async cleanup(): Promise<void> {}

      @Task({ name: 'jobs.elsewhere', cron: '0 * * * *' })
      async elsewhere(): Promise<void> {}
    }
    @Injectable()
    class After {
      @Task({ name: 'jobs.cleanup' })
      async cleanup(): Promise<void> {}
    }
    const ids = async (t: TestApp) => (await t.tasks.listSchedules()).map((schedule) => schedule.id);
    const startWorker = async (t: TestApp, synced: (ids: string[]) => boolean) => {
      const run = t.worker.run();
      await waitUntil(async () => synced(await ids(t)), 10_000, 'static schedules synced');
      await t.worker.stop();
      await run;
    };
    const before = await createTestApp(db, [Before]);
    await startWorker(before, (found) => found.length === 2);
    expect(await ids(before)).toEqual(['jobs.cleanup', 'jobs.elsewhere']);
    await before.close();
    const after = await createTestApp(db, [After]);
    await startWorker(after, (found) => !found.includes('jobs.cleanup'));
    expect(await ids(after)).toEqual(['jobs.elsewhere']);
    await after.close();
    await db.cleanup();
  });
});

describe('periodic tasks on the in-memory backends', () => {
  it('immediate: schedules are kept in memory and triggerSchedule runs the task at once; nothing ticks', async () => {
    const t = await createTestApp(null, [Reports], { backend: 'immediate' });
    Reports.runs = [];
    await t.tasks.schedule('d', call(Reports, 'digest', [5]), { cron: '* * * * * *' });
    expect((await t.tasks.listSchedules()).map((schedule) => schedule.id)).toEqual(['d']);
    const result = await t.tasks.triggerSchedule('d');
    expect(result.status).toBe(TaskResultStatus.SUCCESSFUL);
    expect(Reports.runs).toEqual([{ args: [5], scheduledAt: result.scheduledAt }]);
    expect(result.scheduledAt).toBeInstanceOf(Date);
    await t.close();
  });

  it('dummy: triggerSchedule records the run without running it', async () => {
    const t = await createTestApp(null, [Reports], { backend: 'dummy' });
    Reports.runs = [];
    await t.tasks.schedule('d', call(Reports, 'digest', [5]), { cron: '0 * * * *' });
    await t.tasks.pauseSchedule('d');
    const result = await t.tasks.triggerSchedule('d');
    expect(result.status).toBe(TaskResultStatus.READY);
    expect(Reports.runs).toEqual([]);
    expect((await t.tasks.listSchedules())[0]).toMatchObject({ paused: true, lastTaskId: result.id });
    await t.close();
  });
});

describe('@Task({ cron }) checked at start-up', () => {
  it('names the task of an invalid expression or zone', async () => {
    @Injectable()
    class BadCron {
      @Task({ cron: '* * * 13 *' })
      async run(): Promise<void> {}
    }
    await expect(createTestApp(null, [BadCron], { backend: 'dummy' })).rejects.toThrow(/@Task\(\) on BadCron.run: invalid cron expression/);
    @Injectable()
    class BadZone {
      @Task({ cron: '* * * * *', timeZone: 'Nowhere/City' })
      async run(): Promise<void> {}
    }
    await expect(createTestApp(null, [BadZone], { backend: 'dummy' })).rejects.toThrow(/@Task\(\) on BadZone.run: invalid time zone "Nowhere\/City"/);
    @Injectable()
    class BadBackfill {
      @Task({ cron: '* * * * *', backfill: -5 })
      async run(): Promise<void> {}
    }
    await expect(createTestApp(null, [BadBackfill], { backend: 'dummy' })).rejects.toThrow(/BadBackfill.run: backfill/);
  });
});
