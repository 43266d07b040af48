import { DataSource } from 'typeorm';
import { InvalidTaskError, Task, TaskResultStatus } from '../../src';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { SampleTasks } from '../fixtures/sample-tasks';

class BackoffTasks {
  static calls = 0;

  /** Fails its first attempt; its backoff is broken in a way chosen by the argument. */
  @Task({
    maxAttempts: 2,
    backoff: (attempt: number) => {
      if (BackoffTasks.mode === 'throws') throw new Error(`no backoff for attempt ${attempt}`);
      return BackoffTasks.mode === 'nan' ? NaN : (-1 as number);
    },
  })
  async failOnce(): Promise<string> {
    BackoffTasks.calls++;
    if (BackoffTasks.calls === 1) throw new Error('first attempt fails');
    return 'second attempt';
  }

  static mode: 'throws' | 'nan' | 'negative' = 'throws';
}

/** One clock (the database's) for `delay`, `runAfter`'s bounds, `olderThan`; bad input is typed and stores nothing. */
describe('times and their bounds', () => {
  let db: TestDatabase;
  let t: TestApp;
  let count: () => Promise<number>;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db, [SampleTasks, BackoffTasks]);
    const dataSource = t.app.get(DataSource);
    count = async () => Number((await dataSource.query('SELECT COUNT(*) AS n FROM task_results'))[0].n);
  });
  afterAll(async () => {
    await t.close();
    await db.cleanup();
  });

  it('delay: due that many milliseconds after the database enqueued it, not before', async () => {
    const task = await t.tasks.enqueue(SampleTasks, 'add', [1, 2], { delay: 60_000 });
    await task.refresh();
    expect(task.runAfter.getTime() - task.enqueuedAt.getTime()).toBeGreaterThanOrEqual(59_990);
    expect(task.runAfter.getTime() - task.enqueuedAt.getTime()).toBeLessThanOrEqual(60_010);
    const now = await t.tasks.enqueue(SampleTasks, 'add', [2, 3], { delay: 0 });
    await t.worker.run({ batch: true });
    expect((await task.refresh()).status).toBe(TaskResultStatus.READY);
    expect(await now.wait()).toBe(5);
  });

  it('a batch is enqueued at one database time, due at it unless delayed from it', async () => {
    const batch = await t.tasks.enqueueMany(SampleTasks, 'add', [[1, 1], [2, 2], [3, 3]]);
    const delayed = await t.tasks.enqueueMany(SampleTasks, 'add', [[4, 4], [5, 5]], { delay: 1_500 });
    const stored = await Promise.all([...batch, ...delayed].map((task) => t.tasks.getResult(task.id)));
    const enqueuedAt = stored.map((task) => task.enqueuedAt.getTime());
    expect(new Set(enqueuedAt.slice(0, 3)).size).toBe(1);
    expect(new Set(enqueuedAt.slice(3)).size).toBe(1);
    expect(enqueuedAt[3]).toBeGreaterThanOrEqual(enqueuedAt[0]);
    for (const task of stored.slice(0, 3)) expect(task.runAfter.getTime()).toBe(task.enqueuedAt.getTime());
    for (const task of stored.slice(3)) expect(task.runAfter.getTime() - task.enqueuedAt.getTime()).toBe(1_500);
  });

  it.each([
    ['runAfter past the year 9999', { runAfter: new Date(Date.UTC(10_000, 0, 1)) }],
    ['runAfter an invalid Date', { runAfter: new Date('not a date') }],
    ['runAfter not a Date', { runAfter: '2030-01-01' as unknown as Date }],
    ['a negative delay', { delay: -1 }],
    ['a delay that is not a number', { delay: '10' as unknown as number }],
    ['a delay past the year 9999', { delay: 9e15 }],
    ['both runAfter and delay', { runAfter: new Date(), delay: 10 }],
  ])('%s is InvalidTaskError at enqueue, nothing stored', async (_, options) => {
    const before = await count();
    await expect(t.tasks.enqueue(SampleTasks, 'add', [1, 2], options)).rejects.toThrow(InvalidTaskError);
    await expect(t.tasks.enqueueMany(SampleTasks, 'add', [[1, 2]], options)).rejects.toThrow(InvalidTaskError);
    expect(await count()).toBe(before);
  });

  it('the last millisecond of the year 9999 is stored and ordered after today', async () => {
    const last = new Date(Date.UTC(9999, 11, 31, 23, 59, 59, 999));
    const task = await t.tasks.enqueue(SampleTasks, 'add', [4, 4], { runAfter: last });
    await t.worker.run({ batch: true });
    expect(await task.refresh()).toMatchObject({ status: TaskResultStatus.READY, runAfter: last });
    await t.tasks.cancel(task.id);
  });

  it.each([0, -5, 1.5, NaN, Infinity, '10' as unknown as number])('prune() with batchSize %p is InvalidTaskError', async (batchSize) => {
    await expect(t.tasks.prune({ olderThan: 0, batchSize })).rejects.toThrow(InvalidTaskError);
  });

  it.each([-1, NaN, new Date('nope')])('prune() with olderThan %p is InvalidTaskError', async (olderThan) => {
    await expect(t.tasks.prune({ olderThan })).rejects.toThrow(InvalidTaskError);
  });

  it('prune({ olderThan: ms }) measures from the database clock', async () => {
    const task = await t.tasks.enqueue(SampleTasks, 'add', [5, 5]);
    await t.worker.run({ batch: true });
    expect(await t.tasks.prune({ olderThan: 60_000 })).toBe(0);
    expect(await task.refresh()).toMatchObject({ status: TaskResultStatus.SUCCESSFUL });
    expect(await t.tasks.prune({ olderThan: 0, batchSize: 1 })).toBeGreaterThanOrEqual(1);
  });

  it.each(['throws', 'nan', 'negative'] as const)('a backoff that %s: the failure is recorded, the task retried after the default backoff', async (mode) => {
    BackoffTasks.mode = mode;
    BackoffTasks.calls = 0;
    const task = await t.tasks.enqueue(BackoffTasks, 'failOnce', []);
    const worker = t.worker.run({ pollInterval: 50 });
    try {
      expect(await task.wait({ timeout: 10_000 })).toBe('second attempt');
    } finally {
      await t.worker.stop();
      await worker;
    }
    await task.refresh();
    expect(task.errors).toHaveLength(1);
    expect(task.errors[0]).toMatchObject({ message: 'first attempt fails', attempt: 1 });
    expect(task.errors[0].traceback).toContain('the default backoff');
    // The default backoff after a first attempt: between 0.5 and 1 s.
    const waited = task.lastAttemptedAt!.getTime() - task.startedAt!.getTime();
    expect(waited).toBeGreaterThanOrEqual(450);
  });
});
