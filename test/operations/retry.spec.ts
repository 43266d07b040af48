import { call, pipe, TaskKeyConflictError, TaskNotRetryableError, TaskResultNotFoundError, TaskResultStatus, TasksError } from '../../src';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { OperationTasks } from '../fixtures/operation-tasks';

const { WAITING, READY, SUCCESSFUL, FAILED, CANCELLED } = TaskResultStatus;

describe('retry', () => {
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

  const drain = () => t.worker.run({ batch: true, concurrency: 4 });

  it('runs a FAILED task again on the same row, keeping its attempts and errors', async () => {
    OperationTasks.failing.add('a');
    const task = await t.tasks.enqueue(OperationTasks, 'flaky', ['a']);
    await drain();
    await task.refresh();
    expect(task.status).toBe(FAILED);
    expect([task.attempts, task.maxAttempts, task.errors.length]).toEqual([1, 1, 1]);

    const retried = await t.tasks.retry<string>(task.id);
    expect(retried.id).toBe(task.id);
    expect(retried.status).toBe(READY);
    expect(retried.finishedAt).toBeNull();
    expect([retried.attempts, retried.maxAttempts, retried.errors.length]).toEqual([1, 2, 1]);

    OperationTasks.failing.clear();
    await drain();
    expect(await retried.wait()).toBe('a');
    await retried.refresh();
    expect([retried.status, retried.attempts, retried.errors.length]).toEqual([SUCCESSFUL, 2, 1]);
    expect(retried.errors[0].message).toBe('a failed');
  });

  it('runs a CANCELLED task again, and wakes a running worker at once', async () => {
    const task = await t.tasks.enqueue(OperationTasks, 'flaky', ['b']);
    await t.tasks.cancel(task.id);
    const worker = t.worker.run({ concurrency: 2, pollInterval: 60_000 });
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const started = Date.now();
      const retried = await t.tasks.retry<string>(task.id);
      expect(retried.status).toBe(READY);
      expect(retried.maxAttempts).toBe(1);
      expect(await retried.wait({ timeout: 5_000 })).toBe('b');
      // The poll interval is a minute: only the wake-up explains a run within seconds.
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await t.worker.stop();
      await worker;
    }
  });

  it('refuses tasks that are not FAILED or CANCELLED, and unknown ids, changing nothing', async () => {
    const ready = await t.tasks.enqueue(OperationTasks, 'flaky', ['c'], { runAfter: new Date(Date.now() + 3_600_000) });
    await expect(t.tasks.retry(ready.id)).rejects.toThrow(TaskNotRetryableError);
    await expect(t.tasks.retry(ready.id)).rejects.toMatchObject({ id: ready.id, status: READY });
    const done = await t.tasks.enqueue(OperationTasks, 'flaky', ['d']);
    await t.tasks.cancel(ready.id);
    await drain();
    await expect(t.tasks.retry(done.id)).rejects.toMatchObject({ status: SUCCESSFUL });
    expect((await t.tasks.getResult(done.id)).status).toBe(SUCCESSFUL);
    await expect(t.tasks.retry('0193a5d0-0000-7000-8000-000000000000')).rejects.toThrow(TaskResultNotFoundError);
    await expect(t.tasks.retry('not an id')).rejects.toThrow(TaskResultNotFoundError);
  });

  it('with dependents: true, the steps a failed chain step cancelled wait again and the chain completes', async () => {
    OperationTasks.failing.add('count:1');
    const chain = await t.tasks.chain([call(OperationTasks, 'count', [1]), pipe(OperationTasks, 'inc', []), pipe(OperationTasks, 'inc', [])]);
    await drain();
    const [first, second, third] = chain.results;
    for (const step of chain.results) await step.refresh();
    expect([first.status, second.status, third.status]).toEqual([FAILED, CANCELLED, CANCELLED]);

    const retried = await t.tasks.retry(first.id, { dependents: true });
    expect(retried.status).toBe(READY);
    await second.refresh();
    await third.refresh();
    expect([second.status, third.status]).toEqual([WAITING, WAITING]);
    expect(second.finishedAt).toBeNull();

    OperationTasks.failing.clear();
    await drain();
    expect(await chain.wait({ timeout: 5_000 })).toBe(3);
    expect(OperationTasks.runs).toEqual(['inc:1', 'inc:2']);
  });

  it('without dependents, the cancelled dependents stay CANCELLED', async () => {
    OperationTasks.failing.add('e');
    const parent = await t.tasks.enqueue(OperationTasks, 'flaky', ['e']);
    const child = await t.tasks.enqueue(OperationTasks, 'flaky', ['e-child'], { dependsOn: [parent] });
    await drain();
    await t.tasks.retry(parent.id);
    OperationTasks.failing.clear();
    await drain();
    await parent.refresh();
    await child.refresh();
    expect([parent.status, child.status]).toEqual([SUCCESSFUL, CANCELLED]);
  });

  it('leaves a dependent CANCELLED while another of its dependencies is FAILED', async () => {
    OperationTasks.failing.add('f').add('g');
    const f = await t.tasks.enqueue(OperationTasks, 'flaky', ['f']);
    const g = await t.tasks.enqueue(OperationTasks, 'flaky', ['g'], { queueName: 'later' });
    const join = await t.tasks.enqueue(OperationTasks, 'flaky', ['join'], { dependsOn: [f, g] });
    await drain();
    await t.worker.run({ batch: true, queues: ['later'] });
    await join.refresh();
    expect(join.status).toBe(CANCELLED);
    expect(join.errors[0].message).toContain(f.id);
    await t.tasks.retry(f.id, { dependents: true });
    await join.refresh();
    expect(join.status).toBe(CANCELLED);
  });

  it('a task cancelled before its dependencies finished waits for them again; a pipe() step of a failed one is refused', async () => {
    const later = await t.tasks.enqueue(OperationTasks, 'flaky', ['h'], { queueName: 'later' });
    const waiting = await t.tasks.enqueue(OperationTasks, 'flaky', ['h-child'], { dependsOn: [later] });
    await t.tasks.cancel(waiting.id);
    const again = await t.tasks.retry(waiting.id);
    expect(again.status).toBe(WAITING);

    OperationTasks.failing.add('count:7');
    const chain = await t.tasks.chain([call(OperationTasks, 'count', [7]), pipe(OperationTasks, 'inc', [])]);
    await drain();
    await expect(t.tasks.retry(chain.results[1].id)).rejects.toThrow(/receives the value of a dependency that did not succeed/);
    // In bulk, such steps are left out: their failed dependency is what to retry.
    expect(await t.tasks.retryMany({ taskName: 'OperationTasks.inc' })).toBe(0);
    await chain.results[1].refresh();
    expect(chain.results[1].status).toBe(CANCELLED);
  });

  it('is for the database backend: the in-memory backends keep no rows to act on', async () => {
    const dummy = await createTestApp(null, [OperationTasks], { backend: 'dummy' });
    try {
      const task = await dummy.tasks.enqueue(OperationTasks, 'flaky', ['m']);
      await expect(dummy.tasks.retry(task.id)).rejects.toThrow(/retry\(\) acts on the rows of the database backend; this module uses the dummy backend/);
      await expect(dummy.tasks.listWorkers()).rejects.toThrow(TasksError);
    } finally {
      await dummy.close();
    }
  });

  it('a keyed task cancelled before it ran comes back only while no newer pending task holds its key', async () => {
    const first = await t.tasks.enqueue(OperationTasks, 'flaky', ['keyed-1'], { key: 'report', queueName: 'keyed' });
    await t.tasks.cancel(first.id);
    const holder = await t.tasks.enqueue(OperationTasks, 'flaky', ['keyed-2'], { key: 'report', queueName: 'keyed' });
    expect(holder.deduplicated).toBe(false);

    const refused = await t.tasks.retry(first.id).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TaskKeyConflictError);
    expect(refused).toMatchObject({ id: first.id, key: 'report', holderId: holder.id });
    expect((await t.tasks.getResult(first.id)).status).toBe(CANCELLED);
    // In bulk it is left out rather than failing the batch.
    expect(await t.tasks.retryMany({ status: CANCELLED, queueName: 'keyed' })).toBe(0);

    await t.tasks.cancel(holder.id);
    const retried = await t.tasks.retry(first.id);
    expect(retried.status).toBe(READY);
    expect((await t.tasks.getByKey(OperationTasks, 'flaky', 'report'))?.id).toBe(first.id);
    await t.worker.run({ batch: true, queues: ['keyed'] });
    expect(await retried.wait()).toBe('keyed-1');
  });
});
