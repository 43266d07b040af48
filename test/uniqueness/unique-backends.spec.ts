import { call, DummyBackend, InvalidTaskError, TASK_BACKEND, TaskResultStatus, TaskThrottledError } from '../../src';
import { createTestApp, TestApp } from '../support/test-app';
import { KeyedTasks } from '../fixtures/unique-tasks';

const { READY, SUCCESSFUL } = TaskResultStatus;

describe('unique tasks on the test backends', () => {
  beforeEach(() => {
    KeyedTasks.runs = [];
  });

  describe('dummy: keys dedupe in memory', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(null, [KeyedTasks], { backend: 'dummy' });
    });
    afterAll(() => t.close());

    it('skip, replace, debounce maxWait, getByKey and enqueueMany as on a database', async () => {
      const first = await t.tasks.enqueue(KeyedTasks, 'record', ['a'], { key: 'k' });
      const skipped = await t.tasks.enqueue(KeyedTasks, 'record', ['b'], { key: 'k' });
      expect([first.deduplicated, skipped.deduplicated, skipped.id, skipped.args]).toEqual([false, true, first.id, ['a']]);
      const replaced = await t.tasks.enqueue(KeyedTasks, 'record', ['c'], { key: 'k', onConflict: 'replace', priority: 9, metadata: { m: 1 } });
      expect([replaced.id, replaced.args, replaced.priority, replaced.metadata]).toEqual([first.id, ['c'], 9, { m: 1 }]);
      // The instance the first enqueue returned is not marked: only what met the pending task is.
      expect(first.deduplicated).toBe(false);
      expect((await t.tasks.getByKey(KeyedTasks, 'record', 'k'))?.args).toEqual(['c']);
      expect(await t.tasks.getByKey('KeyedTasks.record', 'other')).toBeNull();

      const debounced = await t.tasks.enqueue(KeyedTasks, 'record', ['d1'], { key: 'd', debounce: { wait: 60_000, maxWait: 1_000 } });
      expect(new Date(debounced.runAfter).getTime() - new Date(debounced.enqueuedAt).getTime()).toBeLessThanOrEqual(1_000);
      const again = await t.tasks.enqueue(KeyedTasks, 'record', ['d2'], { key: 'd', debounce: { wait: 60_000, maxWait: 1_000 } });
      expect([again.id, again.args]).toEqual([debounced.id, ['d2']]);
      expect(new Date(again.runAfter).getTime()).toBeLessThanOrEqual(new Date(debounced.enqueuedAt).getTime() + 1_000);

      const many = await t.tasks.enqueueMany(KeyedTasks, 'record', [['1'], ['2']], { key: 'many' });
      expect(many.map((r) => [r.id, r.deduplicated])).toEqual([[many[0].id, false], [many[0].id, true]]);
      const backend = t.app.get<DummyBackend>(TASK_BACKEND);
      expect(backend.results.filter((r) => r.status === READY)).toHaveLength(3);
    });

    it('throttle: refused enqueues resolve with the accepted task, or TaskThrottledError once it is gone', async () => {
      const accepted = await t.tasks.enqueue(KeyedTasks, 'record', ['t1'], { key: 't', throttle: 60_000 });
      const refused = await t.tasks.enqueue(KeyedTasks, 'record', ['t2'], { key: 't', throttle: 60_000 });
      expect([refused.id, refused.deduplicated]).toEqual([accepted.id, true]);
      t.app.get<DummyBackend>(TASK_BACKEND).clear();
      const reopened = await t.tasks.enqueue(KeyedTasks, 'record', ['t3'], { key: 't', throttle: 60_000 });
      expect(reopened.deduplicated).toBe(false);
      await t.tasks.cancel(reopened.id);
      expect(await reopened.forget()).toBe(true);
      await expect(t.tasks.enqueue(KeyedTasks, 'record', ['t4'], { key: 't', throttle: 60_000 })).rejects.toBeInstanceOf(TaskThrottledError);
    });

    it('refuses keys in workflows and with dependsOn', async () => {
      await expect(t.tasks.group([call(KeyedTasks, 'record', ['x'], { key: 'k' } as never)])).rejects.toThrow(InvalidTaskError);
      await expect(t.tasks.enqueue(KeyedTasks, 'record', ['x'], { key: 'k', onDependencyFailure: 'run' })).rejects.toThrow(InvalidTaskError);
    });
  });

  describe('immediate: a keyed task runs inside enqueue, so it holds its key only while pending', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(null, [KeyedTasks], { backend: 'immediate' });
    });
    afterAll(() => t.close());

    it('runs each keyed enqueue (none is left pending), and throttles in memory', async () => {
      const first = await t.tasks.enqueue(KeyedTasks, 'record', ['a'], { key: 'k' });
      const second = await t.tasks.enqueue(KeyedTasks, 'record', ['b'], { key: 'k' });
      expect([first.status, second.status, second.deduplicated]).toEqual([SUCCESSFUL, SUCCESSFUL, false]);
      expect(await t.tasks.getByKey(KeyedTasks, 'record', 'k')).toBeNull();
      const throttled = await t.tasks.enqueue(KeyedTasks, 'record', ['c'], { key: 't', throttle: 60_000 });
      const refused = await t.tasks.enqueue(KeyedTasks, 'record', ['d'], { key: 't', throttle: 60_000 });
      expect([refused.id, refused.deduplicated, refused.returnValue]).toEqual([throttled.id, true, 'c']);
      expect(KeyedTasks.runs.map((run) => run.label)).toEqual(['a', 'b', 'c']);
    });
  });
});
