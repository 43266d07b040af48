import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, Repository } from 'typeorm';
import {
  TaskResult, TaskResultStatus, TaskResultNotFoundError, TaskWaitTimeoutError, TaskFailedError, TaskContextError,
} from '../../src';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase, TEST_ENGINE } from '../support/test-database';
import { SampleTasks } from '../fixtures/sample-tasks';
import { waitUntil } from '../support/wait-until';

/** A user's own service reading results through TypeORM, as any other entity. */
@Injectable()
class ResultsReader {
  constructor(@InjectRepository(TaskResult) readonly repository: Repository<TaskResult>) {}
}

describe('reading results', () => {
  let db: TestDatabase;
  let t: TestApp;
  let reader: ResultsReader;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db, [SampleTasks, ResultsReader]);
    reader = t.app.get(ResultsReader);
  });
  afterAll(async () => {
    await t.close();
    await db.cleanup();
  });

  it('finds nothing, without an error, for an id that is not a UUID on every database', async () => {
    const enqueued = await t.tasks.enqueue(SampleTasks, 'add', [1, 1]);
    await expect(reader.repository.findOneBy({ id: 'nope' })).resolves.toBeNull();
    await expect(reader.repository.findBy({ id: In(['nope', enqueued.id]) })).resolves.toHaveLength(1);
    await expect(reader.repository.createQueryBuilder('task').where('task.id = :id', { id: '42' }).getOne()).resolves.toBeNull();
    await expect(reader.repository.findOneByOrFail({ id: enqueued.id.toUpperCase() })).rejects.toThrow();
    expect((await reader.repository.findOneByOrFail({ id: enqueued.id })).id).toBe(enqueued.id);
  });

  it('loads results through the user\'s own repository and query builder, and refresh() works on them', async () => {
    const enqueued = await t.tasks.enqueue(SampleTasks, 'add', [4, 5]);
    const loaded = await reader.repository.findOneByOrFail({ id: enqueued.id });
    expect(loaded).toBeInstanceOf(TaskResult);
    expect(loaded).toMatchObject({ status: 'READY', args: [4, 5], kwargs: {}, workerIds: [], errors: [], cancelRequested: false });
    // The row's enqueue time is the database's (one clock), the returned one this process's estimate.
    expect(Math.abs(loaded.enqueuedAt.getTime() - enqueued.enqueuedAt.getTime())).toBeLessThan(5_000);

    await t.worker.run({ batch: true });
    await loaded.refresh();
    expect(loaded.status).toBe(TaskResultStatus.SUCCESSFUL);
    expect(loaded.returnValue).toBe(9);

    const viaBuilder = await reader.repository
      .createQueryBuilder('result')
      .where('result.status = :status', { status: TaskResultStatus.SUCCESSFUL })
      .andWhere('result.taskName = :name', { name: 'SampleTasks.add' })
      .getMany();
    expect(viaBuilder.map((r) => r.id)).toContain(enqueued.id);
    expect(viaBuilder.find((r) => r.id === enqueued.id)!.returnValue).toBe(9);
  });

  it('wait() resolves with the value, throws TaskFailedError, or TaskWaitTimeoutError naming the status', async () => {
    const ok = await t.tasks.enqueue(SampleTasks, 'add', [1, 1]);
    const bad = await t.tasks.enqueue(SampleTasks, 'fail', ['nope']);
    const pending = await t.tasks.enqueue(SampleTasks, 'add', [0, 0], { runAfter: new Date(Date.now() + 60_000) });
    const run = t.worker.run({ pollInterval: 50 });
    const value: number = await ok.wait({ timeout: 5_000 });
    expect(value).toBe(2);
    await expect(bad.wait({ timeout: 5_000 })).rejects.toThrow(TaskFailedError);
    const error = await pending.wait({ timeout: 200, pollInterval: 20 }).catch((e) => e);
    expect(error).toBeInstanceOf(TaskWaitTimeoutError);
    expect(error.status).toBe('READY');
    expect(error.message).toContain('READY');
    await t.worker.stop();
    await run;
  });

  it('refresh() of a deleted row throws TaskResultNotFoundError', async () => {
    const result = await t.tasks.enqueue(SampleTasks, 'add', [1, 1]);
    await t.app.get(DataSource).query(`DELETE FROM task_results WHERE id = '${result.id}'`);
    await expect(result.refresh()).rejects.toThrow(TaskResultNotFoundError);
  });

  it('prune() deletes finished results older than the cutoff, in batches, never unfinished ones', async () => {
    const finished = await t.tasks.enqueueMany(SampleTasks, 'add', Array.from({ length: 25 }, () => [1, 1] as [number, number]));
    const ready = await t.tasks.enqueue(SampleTasks, 'add', [1, 1], { runAfter: new Date(Date.now() + 60_000) });
    await t.worker.run({ batch: true });
    expect(await t.tasks.prune({ olderThan: new Date(Date.now() - 60_000) })).toBe(0);
    const deleted = await t.tasks.prune({ olderThan: new Date(Date.now() + 1_000), batchSize: 7, statuses: ['SUCCESSFUL'] });
    expect(deleted).toBeGreaterThanOrEqual(25);
    await expect(t.tasks.getResult(finished[0].id)).rejects.toThrow(TaskResultNotFoundError);
    expect((await t.tasks.getResult(ready.id)).status).toBe('READY');
  });

  it('a worker with pruneAfter deletes results of its queues finished longer ago than that', async () => {
    const [old, recent] = await t.tasks.enqueueMany(SampleTasks, 'add', [[1, 1], [2, 2]]);
    const waiting = await t.tasks.enqueue(SampleTasks, 'add', [3, 3], { runAfter: new Date(Date.now() + 60_000) });
    await t.worker.run({ batch: true });
    const longAgo = TEST_ENGINE === 'sqlite' ? "'2000-01-01 00:00:00.000'" : "'2000-01-01 00:00:00'";
    await t.app.get(DataSource).query(`UPDATE task_results SET finished_at = ${longAgo} WHERE id = '${old.id}'`);
    const run = t.worker.run({ pruneAfter: 60_000 });
    await waitUntil(async () => (await t.tasks.getResult(old.id).catch(() => null)) === null);
    await t.worker.stop();
    await run;
    expect((await t.tasks.getResult(recent.id)).status).toBe('SUCCESSFUL');
    expect((await t.tasks.getResult(waiting.id)).status).toBe('READY');
  });

  it('context() outside a task throws TaskContextError', () => {
    expect(() => t.tasks.context()).toThrow(TaskContextError);
  });
});

