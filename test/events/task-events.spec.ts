import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { InvalidTaskError, OnTaskEvent, TASK_BACKEND, TaskResult, TaskResultStatus } from '../../src';
import type { DatabaseBackend } from '../../src/backends/database.backend';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { CapturingLogger } from '../support/capturing-logger';
import { waitUntil } from '../support/wait-until';
import { EventListener, EventTasks, eventsOf, seen, seenOf } from './event-fixtures';

const finishedSeen = (id: string) => () => eventsOf(id).includes('finished');
const tick = () => new Promise((resolve) => setTimeout(resolve, 50));

describe('events: @OnTaskEvent on the database backend', () => {
  let db: TestDatabase;
  let t: TestApp;
  let logger: CapturingLogger;
  let running: Promise<unknown> | undefined;

  beforeEach(async () => {
    seen.length = 0;
    EventTasks.holds = [];
    logger = new CapturingLogger();
    db = await createTestDatabase();
    t = await createTestApp(db, [EventTasks, EventListener], {}, [], logger);
  });
  afterEach(async () => {
    await t.worker.stop();
    await running;
    running = undefined;
    await t.close();
    await db.cleanup();
  });

  const startWorker = (options = {}) => {
    running = t.worker.run({ pollInterval: 50, ...options });
  };

  it('a success: enqueued, started, succeeded, finished, each with the row as that change left it', async () => {
    const task = await t.tasks.enqueue(EventTasks, 'double', [21]);
    startWorker();
    expect(await task.wait()).toBe(42);
    await waitUntil(finishedSeen(task.id), 10_000, 'finished seen');
    expect(eventsOf(task.id)).toEqual(['enqueued', 'started', 'succeeded', 'finished']);
    expect(seenOf(task.id, 'enqueued')[0]).toMatchObject({ status: TaskResultStatus.READY, attempts: 0, isEntity: true, taskName: 'EventTasks.double' });
    expect(seenOf(task.id, 'started')[0]).toMatchObject({ status: TaskResultStatus.RUNNING, attempts: 1 });
    expect(seenOf(task.id, 'succeeded')[0]).toMatchObject({ status: TaskResultStatus.SUCCESSFUL, storedReturnValue: 42, attempts: 1 });
    expect(seenOf(task.id, 'finished')[0]).toMatchObject({ status: TaskResultStatus.SUCCESSFUL, storedReturnValue: 42 });
    // Narrowed subscriptions, by [Class, 'method'] and by name, see this task only.
    await waitUntil(() => eventsOf(task.id, 'double').includes('finished'), 5_000, 'narrowed finished seen');
    expect(eventsOf(task.id, 'double')).toEqual(['enqueued', 'succeeded', 'finished']);
    const other = await t.tasks.enqueue(EventTasks, 'reporting', []);
    await other.wait();
    await waitUntil(finishedSeen(other.id), 5_000, 'other finished seen');
    expect(seen.filter((entry) => entry.by === 'double' && entry.id !== task.id)).toEqual([]);
  });

  it('a retry that then succeeds: retrying with the failed attempt recorded; a handler that throws is logged and changes nothing', async () => {
    const task = await t.tasks.enqueue(EventTasks, 'flaky', []);
    startWorker();
    expect(await task.wait()).toBe('second attempt');
    await waitUntil(finishedSeen(task.id), 10_000, 'finished seen');
    expect(eventsOf(task.id)).toEqual(['enqueued', 'started', 'retrying', 'started', 'succeeded', 'finished']);
    expect(seenOf(task.id, 'retrying')[0]).toMatchObject({
      status: TaskResultStatus.READY, attempts: 1, errors: ['1:Error:first attempt fails'],
    });
    expect(seenOf(task.id, 'started')[1]).toMatchObject({ status: TaskResultStatus.RUNNING, attempts: 2 });
    expect(seenOf(task.id, 'succeeded')[0]).toMatchObject({ status: TaskResultStatus.SUCCESSFUL, attempts: 2, errors: ['1:Error:first attempt fails'] });
    await waitUntil(() => logger.find('error', 'EventListener.throwing').length > 0, 5_000, 'the throwing handler logged');
    expect(logger.find('error', 'EventListener.throwing')[0].message).toContain('listener failure');
    await task.refresh();
    expect(task.status).toBe(TaskResultStatus.SUCCESSFUL);
  });

  it('the last failed attempt: retrying, then failed and finished; failures are logged as warning, then error', async () => {
    const task = await t.tasks.enqueue(EventTasks, 'broken', []);
    startWorker();
    await expect(task.wait()).rejects.toThrow('broken on attempt 2');
    await waitUntil(finishedSeen(task.id), 10_000, 'finished seen');
    expect(eventsOf(task.id)).toEqual(['enqueued', 'started', 'retrying', 'started', 'failed', 'finished']);
    expect(seenOf(task.id, 'failed')[0]).toMatchObject({
      status: TaskResultStatus.FAILED, attempts: 2, errors: ['1:Error:broken on attempt 1', '2:Error:broken on attempt 2'],
    });
    const warning = logger.find('warn', task.id);
    expect(warning).toHaveLength(1);
    expect(warning[0].message).toMatch(/attempt 1 of 2 failed: Error: broken on attempt 1; will retry/);
    const error = logger.find('error', task.id);
    expect(error).toHaveLength(1);
    expect(error[0].message).toMatch(/attempt 2 of 2 failed: Error: broken on attempt 2; will not retry/);
    expect(String(error[0].extra[0])).toContain('broken on attempt 2');
  });

  it('progress: the row with the progress recorded', async () => {
    const task = await t.tasks.enqueue(EventTasks, 'reporting', []);
    startWorker();
    await task.wait();
    await waitUntil(finishedSeen(task.id), 10_000, 'finished seen');
    expect(eventsOf(task.id)).toEqual(['enqueued', 'started', 'progress', 'succeeded', 'finished']);
    expect(seenOf(task.id, 'progress')[0]).toMatchObject({
      status: TaskResultStatus.RUNNING, progress: { current: 1, total: 2, message: 'half way' },
    });
  });

  it('cancelling a READY task: cancelled and finished, in the cancelling process', async () => {
    const task = await t.tasks.enqueue(EventTasks, 'double', [1]);
    await t.tasks.cancel(task.id);
    await waitUntil(finishedSeen(task.id), 5_000, 'finished seen');
    expect(eventsOf(task.id)).toEqual(['enqueued', 'cancelled', 'finished']);
    expect(seenOf(task.id, 'cancelled')[0]).toMatchObject({ status: TaskResultStatus.CANCELLED, attempts: 0 });
    // Cancelling again changes nothing and announces nothing.
    await t.tasks.cancel(task.id);
    await tick();
    expect(eventsOf(task.id)).toHaveLength(3);
  });

  it('cancelling a RUNNING task: cancelled and finished once, when its worker stops it', async () => {
    const task = await t.tasks.enqueue(EventTasks, 'held', []);
    startWorker();
    await waitUntil(() => EventTasks.holds.length === 1, 10_000, 'the task is running');
    await t.tasks.cancel(task.id);
    await waitUntil(finishedSeen(task.id), 10_000, 'finished seen');
    await tick();
    expect(eventsOf(task.id)).toEqual(['enqueued', 'started', 'cancelled', 'finished']);
    expect(seenOf(task.id, 'cancelled')[0]).toMatchObject({ status: TaskResultStatus.CANCELLED, attempts: 1 });
  });

  it('a task released at shutdown announces nothing', async () => {
    const task = await t.tasks.enqueue(EventTasks, 'held', []);
    startWorker({ shutdownTimeout: 0 });
    await waitUntil(() => EventTasks.holds.length === 1, 10_000, 'the task is running');
    await waitUntil(() => eventsOf(task.id).includes('started'), 5_000, 'started seen');
    await t.worker.stop();
    await task.refresh();
    expect(task.status).toBe(TaskResultStatus.READY);
    await tick();
    expect(eventsOf(task.id)).toEqual(['enqueued', 'started']);
  });

  it('enqueue with a manager: enqueued after the commit, never on rollback, nor for a savepoint rolled back', async () => {
    const dataSource = t.app.get(DataSource);
    let committed!: TaskResult;
    let inRolledBackSavepoint!: TaskResult;
    await dataSource.transaction(async (manager) => {
      committed = await t.tasks.enqueue(EventTasks, 'double', [1], { manager });
      await manager.transaction(async (inner) => {
        // A released savepoint: its task commits with the outer transaction.
        await t.tasks.enqueue(EventTasks, 'double', [2], { manager: inner });
      });
      await manager.transaction(async (inner) => {
        inRolledBackSavepoint = await t.tasks.enqueue(EventTasks, 'double', [3], { manager: inner });
        throw new Error('roll back the savepoint');
      }).catch(() => undefined);
      await tick();
      expect(seen).toEqual([]);
    });
    await waitUntil(() => seen.filter((entry) => entry.event === 'enqueued' && entry.by === 'all').length === 2, 5_000, 'two enqueued');
    expect(seenOf(committed.id, 'enqueued')).toHaveLength(1);
    expect(seenOf(inRolledBackSavepoint.id, 'enqueued')).toHaveLength(0);
    expect(await dataSource.getRepository(TaskResult).count()).toBe(2);

    const rolledBack: TaskResult[] = [];
    await expect(dataSource.transaction(async (manager) => {
      rolledBack.push(await t.tasks.enqueue(EventTasks, 'double', [4], { manager }));
      throw new Error('roll back');
    })).rejects.toThrow('roll back');
    await tick();
    expect(seenOf(rolledBack[0].id, 'enqueued')).toHaveLength(0);
    expect(seen.filter((entry) => entry.event === 'enqueued' && entry.by === 'all')).toHaveLength(2);
  });

  it('enqueueMany: one enqueued per task', async () => {
    const results = await t.tasks.enqueueMany(EventTasks, 'double', [[1], [2], [3]]);
    await waitUntil(() => seen.filter((entry) => entry.by === 'all').length === 3, 5_000, 'three enqueued');
    expect(seen.filter((entry) => entry.by === 'all').map((entry) => entry.id)).toEqual(results.map((result) => result.id));
  });
});

describe('events: nobody subscribed', () => {
  it('no row is read for events when nobody listens', async () => {
    const db = await createTestDatabase();
    const t = await createTestApp(db, [EventTasks]);
    try {
      const findById = jest.spyOn((t.app.get(TASK_BACKEND) as DatabaseBackend).dialect, 'find');
      const tasks = [
        await t.tasks.enqueue(EventTasks, 'flaky', []),
        await t.tasks.enqueue(EventTasks, 'broken', []),
        await t.tasks.enqueue(EventTasks, 'reporting', []),
      ];
      const running = t.worker.run({ batch: true, pollInterval: 20 });
      expect((await running).reason).toBe('batch-drained');
      expect(findById).not.toHaveBeenCalled();
      for (const task of tasks) expect((await task.refresh()).isFinished).toBe(true);
    } finally {
      await t.close();
      await db.cleanup();
    }
  });
});

describe('events: subscriptions checked at start-up', () => {
  @Injectable()
  class UnknownTaskListener {
    @OnTaskEvent('finished', { task: 'No.such' })
    finished(): void {}
  }

  @Injectable()
  class UnknownMethodListener {
    @OnTaskEvent('finished', { task: [EventTasks, 'constructor' as never] })
    finished(): void {}
  }

  it.each([
    ['a task name', UnknownTaskListener, /no task is named "No\.such"/],
    ['a method that is not a task', UnknownMethodListener, /EventTasks\.constructor is not a @Task\(\) method/],
  ])('an unknown task given as %s is a start-up error', async (_what, listener, message) => {
    await expect(createTestApp(null, [EventTasks, listener], { backend: 'dummy' })).rejects.toThrow(InvalidTaskError);
    await expect(createTestApp(null, [EventTasks, listener], { backend: 'dummy' })).rejects.toThrow(message);
  });
});

describe('events: the immediate and dummy backends', () => {
  beforeEach(() => {
    seen.length = 0;
  });

  it('immediate: every attempt and outcome, in the enqueuing process', async () => {
    const t = await createTestApp(null, [EventTasks, EventListener], { backend: 'immediate' });
    try {
      const ok = await t.tasks.enqueue(EventTasks, 'double', [2]);
      const flaky = await t.tasks.enqueue(EventTasks, 'flaky', []);
      const broken = await t.tasks.enqueue(EventTasks, 'broken', []);
      const reporting = await t.tasks.enqueue(EventTasks, 'reporting', []);
      await waitUntil(() => [ok, flaky, broken, reporting].every((task) => eventsOf(task.id).includes('finished')), 5_000, 'all finished');
      expect(eventsOf(ok.id)).toEqual(['enqueued', 'started', 'succeeded', 'finished']);
      expect(seenOf(ok.id, 'succeeded')[0]).toMatchObject({ status: TaskResultStatus.SUCCESSFUL, storedReturnValue: 4 });
      expect(eventsOf(flaky.id)).toEqual(['enqueued', 'started', 'retrying', 'started', 'succeeded', 'finished']);
      expect(seenOf(flaky.id, 'retrying')[0]).toMatchObject({ status: TaskResultStatus.READY, attempts: 1 });
      expect(eventsOf(broken.id)).toEqual(['enqueued', 'started', 'retrying', 'started', 'failed', 'finished']);
      expect(eventsOf(reporting.id)).toEqual(['enqueued', 'started', 'progress', 'succeeded', 'finished']);
      expect(seenOf(ok.id, 'enqueued')[0]).toMatchObject({ status: TaskResultStatus.READY, attempts: 0 });
    } finally {
      await t.close();
    }
  });

  it('dummy: enqueued, and cancelled + finished', async () => {
    const t = await createTestApp(null, [EventTasks, EventListener], { backend: 'dummy' });
    try {
      const task = await t.tasks.enqueue(EventTasks, 'double', [2]);
      await t.tasks.cancel(task.id);
      await waitUntil(finishedSeen(task.id), 5_000, 'finished seen');
      expect(eventsOf(task.id)).toEqual(['enqueued', 'cancelled', 'finished']);
    } finally {
      await t.close();
    }
  });
});
