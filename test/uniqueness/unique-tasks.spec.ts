import { DataSource } from 'typeorm';
import { InvalidTaskError, TaskResultStatus, TaskThrottledError } from '../../src';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { waitUntil } from '../support/wait-until';
import { KeyedTasks } from '../fixtures/unique-tasks';

const { READY, RUNNING, SUCCESSFUL } = TaskResultStatus;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('unique tasks', () => {
  let db: TestDatabase;
  let t: TestApp;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db, [KeyedTasks]);
    dataSource = t.app.get(DataSource);
  });
  afterAll(async () => {
    await t.close();
    await db.cleanup();
  });
  beforeEach(async () => {
    KeyedTasks.runs = [];
    KeyedTasks.gate = null;
    await dataSource.query('DELETE FROM task_results');
  });

  const rowCount = async () => Number((await dataSource.query('SELECT COUNT(*) AS n FROM task_results'))[0].n);
  /** A worker in the background, polling often (debounced tasks become due without an enqueue to wake it). */
  const startWorker = () => {
    const running = t.worker.run({ pollInterval: 25, concurrency: 4 });
    return async () => {
      t.worker.stop();
      await running;
    };
  };

  it("skip (default): one pending task per task name and key; later enqueues resolve with it, deduplicated", async () => {
    const first = await t.tasks.enqueue(KeyedTasks, 'record', ['a'], { key: 'k' });
    const second = await t.tasks.enqueue(KeyedTasks, 'record', ['b'], { key: 'k', priority: 5 });
    const otherKey = await t.tasks.enqueue(KeyedTasks, 'record', ['c'], { key: 'k2' });
    const otherTask = await t.tasks.enqueue(KeyedTasks, 'hold', ['d'], { key: 'k' });
    expect(first.deduplicated).toBe(false);
    expect(first.uniqueKey).toBe('k');
    expect(second.id).toBe(first.id);
    expect(second.deduplicated).toBe(true);
    expect(second.args).toEqual(['a']);
    expect(second.priority).toBe(0);
    expect(new Set([first.id, otherKey.id, otherTask.id]).size).toBe(3);
    expect(await rowCount()).toBe(3);
    const found = await t.tasks.getByKey(KeyedTasks, 'record', 'k');
    expect(found?.id).toBe(first.id);
    expect((await t.tasks.getByKey('KeyedTasks.record', 'k2'))?.id).toBe(otherKey.id);
    expect(await t.tasks.getByKey(KeyedTasks, 'record', 'none')).toBeNull();
  });

  it("replace: the pending task takes the new args, kwargs, metadata, priority and run time, keeping its id", async () => {
    const first = await t.tasks.enqueue(KeyedTasks, 'record', ['a'], { key: 'r', metadata: { v: 1 }, delay: 60_000 });
    const later = new Date(Date.now() + 3_600_000);
    const second = await t.tasks.enqueue(KeyedTasks, 'record', ['b'], {
      key: 'r', onConflict: 'replace', priority: 7, metadata: { v: 2 }, runAfter: later,
    });
    expect(second.id).toBe(first.id);
    expect(second.deduplicated).toBe(true);
    expect(second.args).toEqual(['b']);
    expect(second.priority).toBe(7);
    expect(second.metadata).toEqual({ v: 2 });
    expect(new Date(second.runAfter).getTime()).toBe(later.getTime());
    await first.refresh();
    expect(first.args).toEqual(['b']);
    expect(first.status).toBe(READY);
    expect(await rowCount()).toBe(1);
  });

  it('a RUNNING task does not hold its key: enqueues while it runs queue exactly one follow-up', async () => {
    let open!: () => void;
    KeyedTasks.gate = new Promise<void>((resolve) => (open = resolve));
    const first = await t.tasks.enqueue(KeyedTasks, 'hold', ['first'], { key: 'run' });
    const stop = startWorker();
    let stored: { args: unknown[] }[] = [];
    try {
      await waitUntil(async () => (await first.refresh()).status === RUNNING, 10_000, 'first task running');
      t.worker.stop();
      const followUps = await Promise.all(Array.from({ length: 20 }, (_, i) => t.tasks.enqueue(KeyedTasks, 'hold', [`f${i}`], { key: 'run' })));
      const ids = new Set(followUps.map((r) => r.id));
      expect(ids.size).toBe(1);
      expect(ids.has(first.id)).toBe(false);
      stored = followUps.filter((r) => !r.deduplicated);
      expect(stored).toHaveLength(1);
      open();
      await stop();
    } finally {
      open();
    }
    await t.worker.run({ batch: true });
    // Whichever of the concurrent enqueues took the key first stored the follow-up, with its arguments.
    expect(KeyedTasks.runs.map((run) => run.label)).toEqual(['first', stored[0].args[0]]);
    expect(await t.tasks.getByKey(KeyedTasks, 'hold', 'run')).toBeNull();
  });

  it('a claimed task never takes its key back: its retry stays READY beside the follow-up, without conflict', async () => {
    let open!: () => void;
    KeyedTasks.gate = new Promise<void>((resolve) => (open = resolve));
    const first = await t.tasks.enqueue(KeyedTasks, 'flaky', ['first'], { key: 'retry' });
    const stop = startWorker();
    let followUp;
    try {
      await waitUntil(async () => (await first.refresh()).status === RUNNING, 10_000, 'first task running');
      t.worker.stop();
      followUp = await t.tasks.enqueue(KeyedTasks, 'flaky', ['second'], { key: 'retry' });
    } finally {
      open();
      await stop();
    }
    await first.refresh();
    // The failed attempt was written (back to READY for its retry) although the follow-up holds the key.
    expect(first.status).toBe(READY);
    expect(first.errors).toEqual([expect.objectContaining({ message: 'first attempt of first' })]);
    expect((await t.tasks.getByKey(KeyedTasks, 'flaky', 'retry'))?.id).toBe(followUp.id);
    const again = await t.tasks.enqueue(KeyedTasks, 'flaky', ['third'], { key: 'retry' });
    expect(again.id).toBe(followUp.id);
    expect(again.deduplicated).toBe(true);
  });

  it('debounce: 100 enqueues over 2 s run once, with the last arguments, after the quiet period', async () => {
    const stop = startWorker();
    let last = 0;
    try {
      for (let i = 0; i < 100; i++) {
        // Before the enqueue: the database's now, from which the quiet period counts, is later.
        last = Date.now();
        await t.tasks.enqueue(KeyedTasks, 'record', [`d${i}`], { key: 'debounced', debounce: 400 });
        await sleep(20);
      }
      await waitUntil(() => KeyedTasks.runs.length > 0, 10_000, 'debounced run');
      await sleep(600);
    } finally {
      await stop();
    }
    expect(KeyedTasks.runs.map((run) => run.label)).toEqual(['d99']);
    expect(KeyedTasks.runs[0].at - last).toBeGreaterThanOrEqual(390);
  });

  it('debounce with maxWait: a pending task runs no later than maxWait after its first enqueue', async () => {
    const stop = startWorker();
    const results: { id: string; at: number }[] = [];
    try {
      for (let i = 0; i < 100; i++) {
        const result = await t.tasks.enqueue(KeyedTasks, 'record', [`m${i}`], { key: 'bounded', debounce: { wait: 400, maxWait: 700 } });
        results.push({ id: result.id, at: Date.now() });
        await sleep(20);
      }
      await waitUntil(() => KeyedTasks.runs.some((run) => run.label === 'm99'), 10_000, 'last debounced run');
    } finally {
      await stop();
    }
    // Enqueues never paused for 400 ms: only maxWait made each pending task run.
    expect(KeyedTasks.runs.length).toBeGreaterThanOrEqual(2);
    for (const run of KeyedTasks.runs) {
      const firstEnqueue = results.find((result) => result.id === run.id)!.at;
      const stored = await t.tasks.getResult(run.id);
      // maxWait is measured by the database from the stored enqueue time; the worker polls every 25 ms.
      expect(new Date(stored.runAfter).getTime() - new Date(stored.enqueuedAt).getTime()).toBeLessThanOrEqual(700);
      expect(run.at - firstEnqueue).toBeLessThan(700 + 1_000);
    }
    expect(KeyedTasks.runs[KeyedTasks.runs.length - 1].label).toBe('m99');
  });

  it('throttle: one accepted enqueue per window; refused ones resolve with it; pruning does not reopen the window', async () => {
    const stop = startWorker();
    const accepted = new Set<string>();
    try {
      const start = Date.now();
      while (Date.now() - start < 1_400) {
        const result = await t.tasks.enqueue(KeyedTasks, 'record', ['t'], { key: 'throttled', throttle: 500 });
        if (!result.deduplicated) accepted.add(result.id);
        await sleep(25);
      }
      await waitUntil(() => KeyedTasks.runs.length >= accepted.size, 10_000, 'throttled runs');
    } finally {
      await stop();
    }
    // 1.4 s of enqueues, a window of 500 ms: accepted at about 0, 500 and 1 000 ms.
    expect(accepted.size).toBeGreaterThanOrEqual(2);
    expect(accepted.size).toBeLessThanOrEqual(3);
    expect(KeyedTasks.runs).toHaveLength(accepted.size);

    const opened = await t.tasks.enqueue(KeyedTasks, 'record', ['p'], { key: 'pruned', throttle: 60_000 });
    await t.worker.run({ batch: true });
    expect((await t.tasks.getResult(opened.id)).status).toBe(SUCCESSFUL);
    expect(await opened.forget()).toBe(true);
    await expect(t.tasks.enqueue(KeyedTasks, 'record', ['p2'], { key: 'pruned', throttle: 60_000 })).rejects.toBeInstanceOf(TaskThrottledError);
    expect(await rowCount()).toBe(accepted.size);

    // A worker's pruner deletes the closed window ('throttled', closed 500 ms after it last opened)
    // and keeps the open one ('pruned').
    await sleep(600);
    const windows = async () => (await dataSource.query('SELECT task_id FROM task_throttles')).map((row: { task_id: string }) => row.task_id);
    expect(await windows()).toHaveLength(2);
    expect(await windows()).toContain(opened.id);
    const pruning = t.worker.run({ pollInterval: 25, pruneAfter: 3_600_000 });
    try {
      await waitUntil(async () => (await windows()).length === 1, 10_000, 'closed window pruned');
    } finally {
      t.worker.stop();
      await pruning;
    }
    expect(await windows()).toEqual([opened.id]);
    await expect(t.tasks.enqueue(KeyedTasks, 'record', ['p3'], { key: 'pruned', throttle: 60_000 })).rejects.toBeInstanceOf(TaskThrottledError);
  });

  it('transactional enqueue: rolled back, no key is held; committed, a second enqueue in it is deduplicated', async () => {
    await expect(dataSource.transaction(async (manager) => {
      const inside = await t.tasks.enqueue(KeyedTasks, 'record', ['x'], { key: 'tx', manager });
      expect(inside.deduplicated).toBe(false);
      throw new Error('roll back');
    })).rejects.toThrow('roll back');
    expect(await t.tasks.getByKey(KeyedTasks, 'record', 'tx')).toBeNull();
    const after = await t.tasks.enqueue(KeyedTasks, 'record', ['y'], { key: 'tx' });
    expect(after.deduplicated).toBe(false);

    const [a, b] = await dataSource.transaction(async (manager) => [
      await t.tasks.enqueue(KeyedTasks, 'record', ['z'], { key: 'tx2', manager }),
      await t.tasks.enqueue(KeyedTasks, 'record', ['z2'], { key: 'tx2', manager, onConflict: 'replace' }),
    ]);
    expect(b.id).toBe(a.id);
    expect(b.deduplicated).toBe(true);
    expect((await t.tasks.getResult(a.id)).args).toEqual(['z2']);
    expect(await rowCount()).toBe(2);
  });

  it('enqueueMany() with a key: the batch meets one pending task, in order', async () => {
    const skipped = await t.tasks.enqueueMany(KeyedTasks, 'record', [['1'], ['2'], ['3']], { key: 'many' });
    expect(new Set(skipped.map((r) => r.id)).size).toBe(1);
    expect(skipped.map((r) => r.deduplicated)).toEqual([false, true, true]);
    const replaced = await t.tasks.enqueueMany(KeyedTasks, 'record', [['4'], ['5']], { key: 'many', onConflict: 'replace' });
    expect(replaced.map((r) => r.id)).toEqual([skipped[0].id, skipped[0].id]);
    expect((await t.tasks.getResult(skipped[0].id)).args).toEqual(['5']);
    expect(await rowCount()).toBe(1);
  });

  it('bad input is InvalidTaskError at enqueue, with nothing stored', async () => {
    const bad: [string, object][] = [
      ['empty key', { key: '' }],
      ['key too long', { key: 'x'.repeat(256) }],
      ['key not a string', { key: 42 }],
      ['debounce with skip', { key: 'k', debounce: 100, onConflict: 'skip' }],
      ['debounce without key', { debounce: 100 }],
      ['throttle without key', { throttle: 100 }],
      ['onConflict without key', { onConflict: 'replace' }],
      ['unknown onConflict', { key: 'k', onConflict: 'merge' }],
      ['negative debounce', { key: 'k', debounce: -1 }],
      ['fractional debounce', { key: 'k', debounce: 1.5 }],
      ['negative maxWait', { key: 'k', debounce: { wait: 10, maxWait: -5 } }],
      ['negative throttle', { key: 'k', throttle: -100 }],
      ['fractional throttle', { key: 'k', throttle: 0.5 }],
      ['debounce with delay', { key: 'k', debounce: 100, delay: 5 }],
      ['key with dependsOn', { key: 'k', dependsOn: [] }],
    ];
    for (const [what, options] of bad) {
      await expect(t.tasks.enqueue(KeyedTasks, 'record', ['x'], options as never)).rejects.toThrow(InvalidTaskError);
      await expect(t.tasks.enqueueMany(KeyedTasks, 'record', [['x']], options as never)).rejects.toThrow(InvalidTaskError);
      expect([what, await rowCount()]).toEqual([what, 0]);
    }
    // The longest key the columns take is accepted, counted in characters.
    const longest = '€'.repeat(255);
    const stored = await t.tasks.enqueue(KeyedTasks, 'record', ['x'], { key: longest });
    expect((await t.tasks.getByKey(KeyedTasks, 'record', longest))?.id).toBe(stored.id);
    await expect(t.tasks.getByKey(KeyedTasks, 'record', '')).rejects.toThrow(InvalidTaskError);
  });
});
