import { DataSource } from 'typeorm';
import {
  InvalidTaskArgumentsError, InvalidTaskError, TaskPayloadTooLargeError, TaskResult, TaskResultStatus,
} from '../../src';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { SampleTasks } from '../fixtures/sample-tasks';

describe('enqueue', () => {
  let db: TestDatabase;
  let t: TestApp;
  let count: () => Promise<number>;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db, [SampleTasks], { queues: ['default', 'emails'], maxPayloadSize: 10_000 });
    const dataSource = t.app.get(DataSource);
    count = async () => Number((await dataSource.query('SELECT COUNT(*) AS n FROM task_results'))[0].n);
  });
  afterAll(async () => {
    await t.close();
    await db.cleanup();
  });

  it('stores the task with its defaults and returns a typed READY result without reading it back', async () => {
    const before = Date.now();
    const result = await t.tasks.enqueue(SampleTasks, 'add', [1, 2]);
    expect(result.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(result).toMatchObject({
      taskName: 'SampleTasks.add', status: TaskResultStatus.READY, queueName: 'default', priority: 0,
      args: [1, 2], kwargs: {}, backend: 'database', maxAttempts: 1, errors: [], workerIds: [], progress: null,
      startedAt: null, finishedAt: null,
    });
    expect(result.enqueuedAt.getTime()).toBeGreaterThanOrEqual(before);
    expect(result.runAfter.getTime()).toBe(result.enqueuedAt.getTime());

    const stored = await t.tasks.getResult(result.id);
    expect(stored).toMatchObject({ taskName: 'SampleTasks.add', status: 'READY', args: [1, 2], priority: 0, maxAttempts: 1 });
    // The row's times are the database's (one clock); this machine's clock and the database's agree closely.
    expect(Math.abs(stored.enqueuedAt.getTime() - result.enqueuedAt.getTime())).toBeLessThan(5_000);
    expect(stored.runAfter.getTime()).toBe(stored.enqueuedAt.getTime());
  });

  it('keeps the milliseconds of an absolute runAfter on every database', async () => {
    const runAfter = new Date(Math.floor(Date.now() / 1000) * 1000 + 60_123);
    const stored = await t.tasks.getResult((await t.tasks.enqueue(SampleTasks, 'add', [1, 2], { runAfter })).id);
    expect(stored.runAfter.getTime()).toBe(runAfter.getTime());
  });

  it('enqueues by name, with kwargs and per-call options', async () => {
    const runAfter = new Date(Date.now() + 60_000);
    const result = await t.tasks.enqueue('sample.greet', ['Ann'], { kwargs: { shout: true }, priority: -5, runAfter, maxAttempts: 4 });
    expect(result).toMatchObject({ taskName: 'sample.greet', queueName: 'emails', priority: -5, maxAttempts: 4, kwargs: { shout: true } });
    const stored = await t.tasks.getResult(result.id);
    expect(stored.runAfter.getTime()).toBe(runAfter.getTime());
    expect(stored.kwargs).toEqual({ shout: true });
  });

  it('types kwargs as the method\'s last parameter', async () => {
    const result = await t.tasks.enqueue(SampleTasks, 'greet', ['Bo'], { kwargs: { shout: false } });
    expect(result.args).toEqual(['Bo']);
  });

  it('enqueueMany stores many tasks in one call', async () => {
    const before = await count();
    const results = await t.tasks.enqueueMany(SampleTasks, 'add', Array.from({ length: 250 }, (_, i) => [i, i] as [number, number]));
    expect(results).toHaveLength(250);
    expect(new Set(results.map((r) => r.id)).size).toBe(250);
    expect(results.every((r) => r instanceof TaskResult && r.status === TaskResultStatus.READY)).toBe(true);
    expect(await count()).toBe(before + 250);
    expect(await t.tasks.enqueueMany(SampleTasks, 'add', [])).toEqual([]);
  });

  describe('rejects bad input before storing anything', () => {
    const cases: [string, string, unknown[]][] = [
      ['a Date', 'args[0].when', [{ when: new Date() }]],
      ['undefined', 'args[1]', [1, undefined]],
      ['a function', 'args[0]', [() => 1]],
      ['a BigInt', 'args[0]', [BigInt(1)]],
      ['NaN', 'args[0]', [NaN]],
      ['Infinity', 'args[0].a[1]', [{ a: [1, Infinity] }]],
      ['a class instance', 'args[0]', [new Map()]],
      ['an array hole', 'args[0][1]', [[1, , 3]]],
      ['an odd key', 'args[0]["a b"]', [{ 'a b': undefined }]],
    ];
    it.each(cases)('%s → InvalidTaskArgumentsError naming %s', async (_, path, args) => {
      const before = await count();
      const error = await t.tasks.enqueue('SampleTasks.add', args).catch((e) => e);
      expect(error).toBeInstanceOf(InvalidTaskArgumentsError);
      expect(error.path).toBe(path);
      expect(error.message).toContain(path);
      expect(await count()).toBe(before);
    });

    it('a cycle', async () => {
      const cyclic: Record<string, unknown> = { a: 1 };
      cyclic.self = cyclic;
      const error = await t.tasks.enqueue('SampleTasks.add', [cyclic]).catch((e) => e);
      expect(error).toBeInstanceOf(InvalidTaskArgumentsError);
      expect(error.path).toBe('args[0].self');
    });

    it('a payload over maxPayloadSize', async () => {
      const before = await count();
      await expect(t.tasks.enqueue('SampleTasks.add', ['x'.repeat(20_000)])).rejects.toThrow(TaskPayloadTooLargeError);
      // Counted in bytes of UTF-8, not in characters: 3 400 euro signs are 10 200 bytes.
      await expect(t.tasks.enqueue('SampleTasks.add', ['€'.repeat(3_400)])).rejects.toThrow(/10206 bytes of JSON, over the limit of 10000/);
      expect(await count()).toBe(before);
      const fits = await t.tasks.enqueue('SampleTasks.add', ['€'.repeat(3_300)]);
      expect(fits.args).toEqual(['€'.repeat(3_300)]);
      await t.tasks.getResult(fits.id).then((stored) => expect(stored.args).toEqual(['€'.repeat(3_300)]));
    });

    it('an unknown task, queue or out-of-range priority', async () => {
      const before = await count();
      await expect(t.tasks.enqueue('nope.nothing', [])).rejects.toThrow(InvalidTaskError);
      await expect(t.tasks.enqueue(SampleTasks, 'constructor' as never, [] as never)).rejects.toThrow(InvalidTaskError);
      class NotATaskProvider { run() {} }
      await expect(t.tasks.enqueue(NotATaskProvider, 'run', [])).rejects.toThrow(/not a task/);
      await expect(t.tasks.enqueue(SampleTasks, 'add', [1, 2], { queueName: 'nope' })).rejects.toThrow(/not one of the module's queues/);
      await expect(t.tasks.enqueue(SampleTasks, 'add', [1, 2], { priority: 101 })).rejects.toThrow(InvalidTaskError);
      await expect(t.tasks.enqueue(SampleTasks, 'add', [1, 2], { priority: 1.5 })).rejects.toThrow(/priority/);
      await expect(t.tasks.enqueue(SampleTasks, 'add', [1, 2], { maxAttempts: 0 })).rejects.toThrow(/maxAttempts/);
      await expect(t.tasks.enqueue(SampleTasks, 'add', [1, 2], { runAfter: new Date('nope') })).rejects.toThrow(/runAfter/);
      expect(await count()).toBe(before);
    });

    it('one bad entry of enqueueMany stores none, and names the entry', async () => {
      const before = await count();
      const error = await t.tasks.enqueueMany('SampleTasks.add', [[1, 2], [3, new Date()]]).catch((e) => e);
      expect(error).toBeInstanceOf(InvalidTaskArgumentsError);
      expect(error.path).toBe('[1].args[1]');
      expect(await count()).toBe(before);
    });
  });
});
