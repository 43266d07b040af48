import { TaskNotRetryableError, TaskResultNotFoundError, TaskResultStatus, TasksError } from '../../src';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { OperationTasks } from '../fixtures/operation-tasks';
import { waitUntil } from '../support/wait-until';

const { READY, WAITING, RUNNING, SUCCESSFUL, CANCELLED } = TaskResultStatus;
const HOUR = 3_600_000;

describe('runNow', () => {
  let db: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db, [OperationTasks]);
  });
  afterAll(async () => {
    await t.close();
    await db.cleanup();
  });
  beforeEach(() => {
    OperationTasks.failing = new Set();
    OperationTasks.runs = [];
  });

  it('makes a task delayed by an hour due now on the same row, and wakes a waiting worker at once', async () => {
    const task = await t.tasks.enqueue(OperationTasks, 'flaky', ['later'], { delay: HOUR, queueName: 'run-now' });
    const before = await t.tasks.getResult(task.id);
    const worker = t.worker.run({ queues: ['run-now'], pollInterval: 60_000 });
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(OperationTasks.runs).toEqual([]);
      const started = Date.now();
      const moved = await t.tasks.runNow<string>(task.id);
      expect(moved.id).toBe(task.id);
      expect(moved.runAfter.getTime()).toBeLessThan(before.runAfter.getTime() - HOUR / 2);
      // Nothing but the time changes.
      expect([moved.attempts, moved.maxAttempts, moved.enqueuedAt.getTime(), moved.priority])
        .toEqual([before.attempts, before.maxAttempts, before.enqueuedAt.getTime(), before.priority]);
      expect(await moved.wait({ timeout: 5_000 })).toBe('later');
      // The poll interval is a minute: only the wake-up explains a run within seconds.
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await t.worker.stop();
      await worker;
    }
  });

  it('leaves a task already due as it is', async () => {
    const task = await t.tasks.enqueue(OperationTasks, 'flaky', ['due'], { queueName: 'run-now-due' });
    const before = await t.tasks.getResult(task.id);
    const same = await t.tasks.runNow(task.id);
    expect([same.status, same.runAfter.getTime()]).toEqual([READY, before.runAfter.getTime()]);
    await t.tasks.cancel(task.id);
  });

  it('refuses tasks that are not READY, and unknown ids, changing nothing', async () => {
    const cancelled = await t.tasks.enqueue(OperationTasks, 'flaky', ['x'], { delay: HOUR, queueName: 'run-now-refused' });
    await t.tasks.cancel(cancelled.id);
    const refused = await t.tasks.runNow(cancelled.id).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TaskNotRetryableError);
    expect(refused).toMatchObject({ id: cancelled.id, status: CANCELLED, message: expect.stringContaining('can be run now') });

    const blocking = await t.tasks.enqueue(OperationTasks, 'block', [], { queueName: 'run-now-refused' });
    const worker = t.worker.run({ queues: ['run-now-refused'] });
    try {
      await waitUntil(async () => (await t.tasks.getResult(blocking.id)).status === RUNNING, 10_000, 'the task running');
      await expect(t.tasks.runNow(blocking.id)).rejects.toMatchObject({ status: RUNNING });
    } finally {
      await t.tasks.cancel(blocking.id);
      await t.worker.stop();
      await worker;
    }
    const parent = await t.tasks.enqueue(OperationTasks, 'flaky', ['p'], { delay: HOUR, queueName: 'run-now-refused' });
    const waiting = await t.tasks.enqueue(OperationTasks, 'flaky', ['w'], { queueName: 'run-now-refused', dependsOn: [parent] });
    await expect(t.tasks.runNow(waiting.id)).rejects.toMatchObject({ status: WAITING });
    await t.tasks.cancelMany({ queueName: 'run-now-refused' });
    await expect(t.tasks.runNow('0193a5d0-0000-7000-8000-000000000000')).rejects.toThrow(TaskResultNotFoundError);
    await expect(t.tasks.runNow('not an id')).rejects.toThrow(TaskResultNotFoundError);
  });

  it('runNowMany makes the READY tasks of the filter that wait for their time due, and only those', async () => {
    const delayed = await Promise.all(['m1', 'm2', 'm3'].map((label) =>
      t.tasks.enqueue(OperationTasks, 'flaky', [label], { delay: HOUR, queueName: 'run-now-many' })));
    const elsewhere = await t.tasks.enqueue(OperationTasks, 'flaky', ['other'], { delay: HOUR, queueName: 'run-now-other' });
    const progress: number[] = [];
    expect(await t.tasks.runNowMany({ queueName: 'run-now-many' }, { batchSize: 2, onProgress: (done) => progress.push(done) })).toBe(3);
    expect(progress).toEqual([2, 3]);
    // Already due now: a second pass has nothing to do.
    expect(await t.tasks.runNowMany({ status: READY, queueName: 'run-now-many' })).toBe(0);
    await t.worker.run({ batch: true, queues: ['run-now-many', 'run-now-other'] });
    for (const task of delayed) expect((await t.tasks.getResult(task.id)).status).toBe(SUCCESSFUL);
    expect((await t.tasks.getResult(elsewhere.id)).status).toBe(READY);
    await expect(t.tasks.runNowMany({ status: CANCELLED })).rejects.toThrow(/takes tasks that are READY/);
    await t.tasks.cancel(elsewhere.id);
  });

  it('is for the database backend: the in-memory backends keep no rows to act on', async () => {
    const dummy = await createTestApp(null, [OperationTasks], { backend: 'dummy' });
    try {
      const task = await dummy.tasks.enqueue(OperationTasks, 'flaky', ['m'], { delay: HOUR });
      await expect(dummy.tasks.runNow(task.id)).rejects.toThrow(TasksError);
      await expect(dummy.tasks.runNowMany({})).rejects.toThrow(/runNowMany\(\) acts on the rows of the database backend/);
    } finally {
      await dummy.close();
    }
  });
});
