import { Injectable } from '@nestjs/common';
import { Cron, CronExpression, ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { setTimeout as sleep } from 'node:timers/promises';
import { call, InvalidTaskError, SCHEDULER_INTERVAL_NAME, Task, TaskService } from '../../src';
import { createTestApp } from '../support/test-app';
import { createTestDatabase, TEST_DB, TestDatabase } from '../support/test-database';
import { waitUntil } from '../support/wait-until';

@Injectable()
class Beats {
  static ticks: number[] = [];

  constructor(private readonly tasks: TaskService) {}

  @Task()
  async beat(): Promise<void> {
    Beats.ticks.push(this.tasks.context().scheduledAt!.getTime());
  }
}

describe(`with @nestjs/schedule's ScheduleModule (${TEST_DB})`, () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.cleanup();
  });

  it('registers each process\'s scheduler as one interval; deleting it there stops this process\'s scheduling only', async () => {
    const t = await createTestApp(db, [Beats], {}, [ScheduleModule.forRoot()]);
    const registry = t.app.get(SchedulerRegistry);
    Beats.ticks = [];
    await t.tasks.schedule('beat', call(Beats, 'beat', []), { cron: '* * * * * *' });
    const run = t.worker.run();
    await waitUntil(() => registry.doesExist('interval', SCHEDULER_INTERVAL_NAME), 10_000, 'interval registered');
    expect(registry.getIntervals()).toEqual([SCHEDULER_INTERVAL_NAME]);
    await waitUntil(() => Beats.ticks.length >= 1, 10_000, 'a tick');
    registry.deleteInterval(SCHEDULER_INTERVAL_NAME);
    // A tick being claimed at that moment may still commit.
    await sleep(1_500);
    const stoppedAt = Beats.ticks.length;
    await sleep(2_000);
    expect(Beats.ticks.length).toBe(stoppedAt);
    // The schedule itself is not paused: another process would go on with it.
    expect((await t.tasks.listSchedules())[0].paused).toBe(false);
    await t.worker.stop();
    await run;
    await t.close();
  });

  it('refuses a method with both @Cron() and @Task() at start-up, naming it and the fix', async () => {
    @Injectable()
    class Both {
      @Cron(CronExpression.EVERY_MINUTE)
      @Task()
      async report(): Promise<void> {}
    }
    const starting = createTestApp(null, [Both], { backend: 'dummy' }, [ScheduleModule.forRoot()]);
    await expect(starting).rejects.toThrow(InvalidTaskError);
    await expect(createTestApp(null, [Both], { backend: 'dummy' }, [ScheduleModule.forRoot()]))
      .rejects.toThrow(/Both\.report has both @Cron\(\) and @Task\(\).*@Task\(\{ cron: '\*\/1 \* \* \* \*', timeZone: 'UTC' \}\)/s);
  });
});
