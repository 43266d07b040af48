import { DataSource } from 'typeorm';
import { TaskPayloadTooLargeError, TaskResultStatus } from '../../src';
import type { TestApp } from '../support/test-app';
import { TestDatabase, TEST_ENGINE } from '../support/test-database';
import { FaultTasks } from '../fixtures/fault-app';
import { FaultRig, report, openFaultEnvironment, closeFaultEnvironment } from './fault-support';

/** Rows a worker process cannot run, mixed into good work: each fails alone, the worker keeps going. */
describe('fault: bad input in a running worker', () => {
  let db: TestDatabase;
  let t: TestApp;
  let rig: FaultRig;

  beforeEach(async () => ({ db, t, rig } = await openFaultEnvironment()));
  afterEach(() => closeFaultEnvironment({ db, t, rig }));

  it('unknown tasks, corrupt rows and refused return values fail alone; everything else runs', async () => {
    const started = Date.now();
    const good = await t.tasks.enqueueMany(FaultTasks, 'work', Array.from({ length: 200 }, () => [1] as [number]));
    const bad = await t.tasks.enqueueMany(FaultTasks, 'work', Array.from({ length: 4 }, () => [1] as [number]), { priority: 10 });
    const unstorable = await t.tasks.enqueue(FaultTasks, 'unstorable', [], { priority: 10 });
    const dataSource = t.app.get(DataSource);
    const corrupt = async (id: string, set: string) => dataSource.query(`UPDATE task_results SET ${set} WHERE id = '${id}'`);
    await corrupt(bad[0].id, "task_name = 'RemovedTasks.gone'");
    await corrupt(bad[1].id, `args = '{"not":"an array"}'`);
    await corrupt(bad[2].id, `kwargs = '[1, 2]'`);
    // Only SQLite stores text that is not JSON at all; the others' JSON columns refuse it.
    await corrupt(bad[3].id, TEST_ENGINE === 'sqlite' ? "args = '[1, '" : "args = '\"a string\"'");
    const count = async () => Number((await dataSource.query('SELECT COUNT(*) AS n FROM task_results'))[0].n);
    await expect(t.tasks.enqueue(FaultTasks, 'work', ['x'.repeat(2_000_000) as unknown as number])).rejects.toThrow(TaskPayloadTooLargeError);
    expect(await count()).toBe(205);

    const worker = rig.spawn(['--batch', '--concurrency', '10', '--interval', '50']);
    expect(await worker.exited).toBe(0);

    const expected: Record<string, string> = {
      [bad[0].id]: 'UnknownTaskError', [bad[1].id]: 'CorruptTaskRowError', [bad[2].id]: 'CorruptTaskRowError', [bad[3].id]: 'CorruptTaskRowError',
    };
    expect(await count()).toBe(205);
    // One by one: a repository's find() would stumble on the row whose args are not JSON.
    const tasks = [...good, ...bad, unstorable];
    for (const task of tasks) {
      await task.refresh();
      if (expected[task.id]) {
        // Not retried although attempts were left: retrying cannot mend the row.
        expect(task.status).toBe(TaskResultStatus.FAILED);
        expect(task.errors).toEqual([expect.objectContaining({ name: expected[task.id], attempt: 1 })]);
      } else if (task.id === unstorable.id) {
        // Refused the same way on every database, and not retried: it would be refused again.
        expect(task.status).toBe(TaskResultStatus.FAILED);
        expect(task.errors).toEqual([expect.objectContaining({ name: 'InvalidTaskReturnValueError', attempt: 1 })]);
      } else {
        expect(good.some((result) => result.id === task.id)).toBe(true);
        expect(task.status).toBe(TaskResultStatus.SUCCESSFUL);
      }
    }
    const starts = rig.starts();
    expect([...starts.values()].every((n) => n === 1)).toBe(true);
    expect(starts.size).toBe(201);
    report({ fault: 'bad rows mixed into 200 good tasks', tasks: 205, lost: 0, duplicates: 0, ms: Date.now() - started });
  });
});
