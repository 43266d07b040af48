import { DataSource } from 'typeorm';
import { TaskResultStatus, TaskCancelledError, TaskFailedError } from '../../src';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase, TEST_ENGINE } from '../support/test-database';
import { SampleTasks } from '../fixtures/sample-tasks';
import { waitUntil } from '../support/wait-until';

describe('worker', () => {
  let db: TestDatabase;
  let t: TestApp;
  let dataSource: DataSource;

  beforeEach(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db, [SampleTasks], { queues: ['default', 'emails', 'other'] });
    dataSource = t.app.get(DataSource);
    SampleTasks.calls = [];
  });
  afterEach(async () => {
    await t.close();
    await db.cleanup();
  });

  it('retries a failing task up to maxAttempts, recording one error per failed attempt', async () => {
    const ok = await t.tasks.enqueue(SampleTasks, 'flaky', [2]);
    const exhausted = await t.tasks.enqueue(SampleTasks, 'flaky', [5]);
    await t.worker.run({ batch: true });
    await ok.refresh();
    await exhausted.refresh();
    expect(ok.status).toBe(TaskResultStatus.SUCCESSFUL);
    expect(ok.returnValue).toBe('ok after 3');
    expect(ok.attempts).toBe(3);
    expect(ok.errors.map((e) => [e.name, e.attempt])).toEqual([['TypeError', 1], ['TypeError', 2]]);
    expect(exhausted.status).toBe(TaskResultStatus.FAILED);
    expect(exhausted.errors.map((e) => e.attempt)).toEqual([1, 2, 3]);
    expect(exhausted.workerIds).toHaveLength(3);
  });

  it('schedules a retry after the backoff with runAfter, and the last failure makes it FAILED', async () => {
    const result = await t.tasks.enqueue(SampleTasks, 'fail', ['again'], { maxAttempts: 2 });
    const before = Date.now();
    await t.worker.run({ batch: true });
    await result.refresh();
    // The default backoff (≥ 500 ms) leaves the retry in the future, so the batch stops there.
    expect(result.status).toBe(TaskResultStatus.READY);
    expect(result.errors).toHaveLength(1);
    expect(result.runAfter.getTime()).toBeGreaterThanOrEqual(before + 400);
    await dataSource.query(`UPDATE task_results SET run_after = ${TEST_ENGINE === 'sqlite' ? "'2000-01-01 00:00:00.000'" : "'2000-01-01 00:00:00'"}`);
    await t.worker.run({ batch: true });
    await result.refresh();
    expect(result.status).toBe(TaskResultStatus.FAILED);
    expect(result.errors.map((e) => e.attempt)).toEqual([1, 2]);
  });

  it('records a non-Error throw and a non-JSON return value as failures', async () => {
    const thrown = await t.tasks.enqueue(SampleTasks, 'throwString', []);
    const badReturn = await t.tasks.enqueue(SampleTasks, 'returnsDate', [], { maxAttempts: 3 });
    await t.worker.run({ batch: true });
    await thrown.refresh();
    await badReturn.refresh();
    expect(thrown.status).toBe(TaskResultStatus.FAILED);
    expect(thrown.errors[0]).toMatchObject({ name: 'NonErrorThrown' });
    expect(thrown.errors[0].message).toContain("'a plain string'");
    expect(badReturn.status).toBe(TaskResultStatus.FAILED);
    expect(badReturn.errors[0]).toMatchObject({ name: 'InvalidTaskReturnValueError' });
    expect(badReturn.errors[0].message).toContain('returnValue is a Date');
    // It would be refused again on every attempt: no retry.
    expect(badReturn.errors).toHaveLength(1);
  });

  it('stores null for void tasks and for a null return', async () => {
    const nothing = await t.tasks.enqueue(SampleTasks, 'nothing', []);
    const returnsNull = await t.tasks.enqueue(SampleTasks, 'returnsNull', []);
    await t.worker.run({ batch: true });
    expect(await nothing.wait()).toBeNull();
    expect(await returnsNull.wait()).toBeNull();
  });

  it('fails rows naming an unknown task or holding undecodable arguments, and keeps going', async () => {
    const unknown = await t.tasks.enqueue(SampleTasks, 'add', [1, 1]);
    const corrupt = await t.tasks.enqueue(SampleTasks, 'add', [2, 2]);
    const fine = await t.tasks.enqueue(SampleTasks, 'add', [3, 3]);
    await dataSource.query(`UPDATE task_results SET task_name = 'Gone.away' WHERE id = '${unknown.id}'`);
    await dataSource.query(`UPDATE task_results SET args = '{"not":"an array"}' WHERE id = '${corrupt.id}'`);
    await t.worker.run({ batch: true });
    await Promise.all([unknown.refresh(), corrupt.refresh(), fine.refresh()]);
    expect(unknown.status).toBe(TaskResultStatus.FAILED);
    expect(unknown.errors[0]).toMatchObject({ name: 'UnknownTaskError' });
    expect(unknown.errors[0].message).toContain('Gone.away');
    expect(corrupt.status).toBe(TaskResultStatus.FAILED);
    expect(corrupt.errors[0]).toMatchObject({ name: 'CorruptTaskRowError' });
    expect(fine.returnValue).toBe(6);
  });

  if (TEST_ENGINE === 'sqlite') {
    it('fails a row whose arguments are not JSON at all', async () => {
      const corrupt = await t.tasks.enqueue(SampleTasks, 'add', [2, 2]);
      await dataSource.query(`UPDATE task_results SET args = '[1, 2' WHERE id = '${corrupt.id}'`);
      await t.worker.run({ batch: true });
      await corrupt.refresh();
      expect(corrupt.status).toBe(TaskResultStatus.FAILED);
      expect(corrupt.errors[0]).toMatchObject({ name: 'CorruptTaskRowError' });
    });
  }

  it('runs higher priority first, then in enqueue order', async () => {
    await t.tasks.enqueue(SampleTasks, 'record', ['first']);
    await t.tasks.enqueue(SampleTasks, 'record', ['second']);
    await t.tasks.enqueue(SampleTasks, 'urgent', ['urgent']);
    await t.tasks.enqueue(SampleTasks, 'record', ['low'], { priority: -10 });
    await t.tasks.enqueue(SampleTasks, 'record', ['highest'], { priority: 100 });
    await t.worker.run({ batch: true, concurrency: 1 });
    expect(SampleTasks.calls.map((c) => c.args[0])).toEqual(['highest', 'urgent', 'first', 'second', 'low']);
  });

  it('does not start a task before runAfter', async () => {
    const later = await t.tasks.enqueue(SampleTasks, 'record', ['later'], { runAfter: new Date(Date.now() + 60_000) });
    const soon = await t.tasks.enqueue(SampleTasks, 'record', ['soon'], { runAfter: new Date(Date.now() + 300) });
    await t.worker.run({ batch: true });
    expect(SampleTasks.calls).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 350));
    await t.worker.run({ batch: true });
    expect(SampleTasks.calls.map((c) => c.args[0])).toEqual(['soon']);
    expect((await t.tasks.getResult(later.id)).status).toBe(TaskResultStatus.READY);
    expect((await soon.refresh()).status).toBe(TaskResultStatus.SUCCESSFUL);
  });

  it('takes tasks only from its queues', async () => {
    const greet = await t.tasks.enqueue('sample.greet', ['Ann'], { kwargs: { shout: true } });
    const other = await t.tasks.enqueue(SampleTasks, 'record', ['other'], { queueName: 'other' });
    await t.worker.run({ batch: true, queues: ['default'] });
    expect((await greet.refresh()).status).toBe('READY');
    await t.worker.run({ batch: true, queues: ['emails'] });
    expect(await greet.wait()).toBe('HELLO, ANN');
    expect((await other.refresh()).status).toBe('READY');
    await t.worker.run({ batch: true, queues: '*' });
    expect(await other.wait()).toBe('other');
  });

  it('stops after maxTasks', async () => {
    await t.tasks.enqueueMany(SampleTasks, 'record', [['a'], ['b'], ['c']]);
    const summary = await t.worker.run({ maxTasks: 2, concurrency: 1 });
    expect(summary).toMatchObject({ claimed: 2, reason: 'max-tasks' });
    expect(SampleTasks.calls).toHaveLength(2);
  });

  it('runs tasks concurrently up to the concurrency limit', async () => {
    const results = await t.tasks.enqueueMany(SampleTasks, 'waitForAbort', [[], [], [], [], []]);
    const run = t.worker.run({ concurrency: 3, shutdownTimeout: 0 });
    await waitUntil(async () => (await countStatus(dataSource, 'RUNNING')) === 3);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await countStatus(dataSource, 'RUNNING')).toBe(3);
    await t.worker.stop();
    await run;
    // Stopped with no time to finish: released, the attempt not charged.
    for (const result of results) {
      await result.refresh();
      expect(result.status).toBe('READY');
      expect(result.attempts).toBe(0);
    }
  });

  it('wakes an idle worker at once when a task is enqueued in the same process', async () => {
    const run = t.worker.run({ pollInterval: 60_000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    const result = await t.tasks.enqueue(SampleTasks, 'add', [20, 22]);
    expect(await result.wait({ timeout: 5_000 })).toBe(42);
    expect(Date.now() - started).toBeLessThan(2_000);
    await t.worker.stop();
    await run;
  });

  it('times out an attempt that ignores its signal, without blocking the worker', async () => {
    const slow = await t.tasks.enqueue(SampleTasks, 'slowIgnoringSignal', [1_500]);
    const quick = await t.tasks.enqueue(SampleTasks, 'add', [1, 1]);
    const started = Date.now();
    await t.worker.run({ batch: true, concurrency: 1 });
    expect(Date.now() - started).toBeLessThan(1_400);
    await slow.refresh();
    expect(slow.status).toBe(TaskResultStatus.FAILED);
    expect(slow.errors[0]).toMatchObject({ name: 'TaskTimeoutError', attempt: 1 });
    await expect(slow.wait()).rejects.toThrow(TaskFailedError);
    expect(await quick.wait()).toBe(2);
  });

  it('cancels a READY task at once and a RUNNING one through its signal', async () => {
    const ready = await t.tasks.enqueue(SampleTasks, 'add', [1, 1]);
    const cancelled = await t.tasks.cancel(ready.id);
    expect(cancelled.status).toBe(TaskResultStatus.CANCELLED);
    const running = await t.tasks.enqueue(SampleTasks, 'waitForAbort', []);
    const run = t.worker.run({});
    await waitUntil(async () => (await running.refresh()).status === 'RUNNING');
    const requested = await t.tasks.cancel(running.id);
    expect(requested.cancelRequested).toBe(true);
    await expect(running.wait({ timeout: 5_000 })).rejects.toThrow(TaskCancelledError);
    expect(running.status).toBe(TaskResultStatus.CANCELLED);
    await t.worker.stop();
    await run;
    expect(SampleTasks.calls).toEqual([]);
    // Cancelling a finished task changes nothing.
    expect((await t.tasks.cancel(running.id)).status).toBe(TaskResultStatus.CANCELLED);
  });

  it('records progress and exposes the context to the task', async () => {
    const progress = await t.tasks.enqueue(SampleTasks, 'reportProgress', [3]);
    const who = await t.tasks.enqueue(SampleTasks, 'whoAmI', []);
    const { workerId } = await t.worker.run({ batch: true, workerId: 'test-worker-1' });
    expect(workerId).toBe('test-worker-1');
    await progress.refresh();
    expect(progress.progress).toEqual({ current: 3, total: 3, message: 'step 3' });
    expect(await who.wait()).toEqual({ id: who.id, attempt: 1, workerId: 'test-worker-1' });
  });
});

async function countStatus(dataSource: DataSource, status: string): Promise<number> {
  return Number((await dataSource.query(`SELECT COUNT(*) AS n FROM task_results WHERE status = '${status}'`))[0].n);
}

