import { DataSource } from 'typeorm';
import { call, InvalidTaskError, pipe, TaskResultStatus } from '../../src';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { waitUntil } from '../support/wait-until';
import { OperationTasks } from '../fixtures/operation-tasks';

const { READY, RUNNING, SUCCESSFUL, FAILED, CANCELLED } = TaskResultStatus;

describe('bulk actions by filter', () => {
  let db: TestDatabase;
  let t: TestApp;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db, [OperationTasks]);
    dataSource = t.app.get(DataSource);
  });
  afterAll(async () => {
    await t.close();
    await db.cleanup();
  });
  beforeEach(() => {
    OperationTasks.failing = new Set();
    OperationTasks.runs = [];
  });

  const drain = (queues = ['*']) => t.worker.run({ batch: true, concurrency: 10, queues: queues as string[] });
  const statuses = async (queueName: string) =>
    (await t.tasks.listTasks({ queueName }, { limit: 1000 })).map((task) => task.status).sort();
  const edgeCount = async () => Number((await dataSource.query('SELECT COUNT(*) AS n FROM task_dependencies'))[0].n);

  it('retries the FAILED tasks of a filter in batches, reporting progress, and leaves the rest', async () => {
    OperationTasks.failing.add('x');
    await t.tasks.enqueueMany(OperationTasks, 'flaky', Array.from({ length: 25 }, () => ['x'] as [string]), { queueName: 'r1' });
    await t.tasks.enqueueMany(OperationTasks, 'flaky', Array.from({ length: 5 }, () => ['x'] as [string]), { queueName: 'r2' });
    await t.tasks.enqueue(OperationTasks, 'flaky', ['ok'], { queueName: 'r1' });
    await drain(['r1', 'r2']);
    expect(await t.tasks.countTasks({ status: FAILED, queueName: 'r1' })).toBe(25);

    const progress: number[] = [];
    const retried = await t.tasks.retryMany({ queueName: 'r1' }, { batchSize: 10, onProgress: (done) => progress.push(done) });
    expect(retried).toBe(25);
    expect(progress).toEqual([10, 20, 25]);
    expect(await statuses('r1')).toEqual([...Array(25).fill(READY), SUCCESSFUL]);
    expect(await statuses('r2')).toEqual(Array(5).fill(FAILED));
    const [one] = await t.tasks.listTasks({ queueName: 'r1', status: READY }, { limit: 1 });
    expect([one.attempts, one.maxAttempts, one.errors.length]).toEqual([1, 2, 1]);
    // Pages follow one another by cursor, newest first, none repeated.
    const pages: string[] = [];
    for (let page = await t.tasks.listTasks({ queueName: 'r1' }, { limit: 10 }); page.length > 0;
      page = await t.tasks.listTasks({ queueName: 'r1' }, { limit: 10, cursor: page[page.length - 1].id })) {
      pages.push(...page.map((task) => task.id));
    }
    expect(pages).toHaveLength(26);
    expect(pages).toEqual([...pages].sort().reverse());

    OperationTasks.failing.clear();
    await drain(['r1']);
    expect(await t.tasks.countTasks({ queueName: 'r1', status: SUCCESSFUL })).toBe(26);
    expect(await t.tasks.retryMany({ queueName: 'r1' })).toBe(0);
    expect(await t.tasks.retryMany({ queueName: 'r2', taskName: 'OperationTasks.flaky', status: [FAILED] })).toBe(5);
  });

  it('cancels the READY and WAITING tasks of a filter, a task with dependents together with them', async () => {
    const later = new Date(Date.now() + 3_600_000);
    await t.tasks.enqueueMany(OperationTasks, 'flaky', Array.from({ length: 12 }, (_, i) => [`c${i}`] as [string]), { queueName: 'c1', runAfter: later });
    const chain = await t.tasks.chain([call(OperationTasks, 'count', [1], { queueName: 'c1' }), pipe(OperationTasks, 'inc', [], { queueName: 'c2' })]);
    await t.tasks.enqueue(OperationTasks, 'flaky', ['other'], { queueName: 'c3', runAfter: later });
    const progress: number[] = [];
    expect(await t.tasks.cancelMany({ queueName: 'c1' }, { batchSize: 5, onProgress: (done) => progress.push(done) })).toBe(13);
    expect(progress[progress.length - 1]).toBe(13);
    expect(await statuses('c1')).toEqual(Array(13).fill(CANCELLED));
    // The chain's second step (queue c2) was cancelled by the cascade from its first.
    await chain.results[1].refresh();
    expect(chain.results[1].status).toBe(CANCELLED);
    expect(chain.results[1].errors[0].name).toBe('DependencyFailedError');
    expect(await statuses('c3')).toEqual([READY]);
    await expect(t.tasks.cancelMany({ status: FAILED })).rejects.toThrow(InvalidTaskError);
    await expect(t.tasks.cancelMany({ finishedBefore: new Date() })).rejects.toThrow(InvalidTaskError);
  });

  it('asks RUNNING tasks of a filter to stop; their worker cancels them', async () => {
    const task = await t.tasks.enqueue(OperationTasks, 'block', [], { queueName: 'run' });
    const worker = t.worker.run({ queues: ['run'], leaseDuration: 900 });
    try {
      await waitUntil(async () => (await t.tasks.getResult(task.id)).status === RUNNING, 10_000, 'the task running');
      expect(await t.tasks.cancelMany({ queueName: 'run', status: RUNNING })).toBe(1);
      await waitUntil(async () => (await t.tasks.getResult(task.id)).status === CANCELLED, 10_000, 'the task cancelled');
    } finally {
      await t.worker.stop();
      await worker;
    }
  });

  it('deletes the finished tasks of a filter with their edges, and nothing else', async () => {
    OperationTasks.failing.add('d');
    await t.tasks.enqueueMany(OperationTasks, 'flaky', Array.from({ length: 7 }, () => ['d'] as [string]), { queueName: 'd1' });
    const chain = await t.tasks.chain([call(OperationTasks, 'count', [5], { queueName: 'd1' }), pipe(OperationTasks, 'inc', [], { queueName: 'd1' })]);
    await t.tasks.enqueue(OperationTasks, 'flaky', ['d'], { queueName: 'd2' });
    await drain(['d1', 'd2']);
    await chain.wait();
    const edges = await edgeCount();
    expect(await t.tasks.deleteMany({ queueName: 'd1', finishedBefore: new Date(Date.now() - 3_600_000) })).toBe(0);
    const progress: number[] = [];
    expect(await t.tasks.deleteMany({ queueName: 'd1', status: FAILED }, { batchSize: 3, onProgress: (done) => progress.push(done) })).toBe(7);
    expect(progress).toEqual([3, 6, 7]);
    expect(await statuses('d1')).toEqual([SUCCESSFUL, SUCCESSFUL]);
    expect(await t.tasks.deleteMany({ queueName: 'd1', taskName: 'OperationTasks.inc' })).toBe(1);
    expect(await edgeCount()).toBe(edges - 1);
    expect(await statuses('d2')).toEqual([FAILED]);
    await expect(t.tasks.deleteMany({ status: READY })).rejects.toThrow(InvalidTaskError);
  });

  it('rejects bad filters with InvalidTaskError', async () => {
    await expect(t.tasks.retryMany({ status: SUCCESSFUL })).rejects.toThrow(/retryMany\(\) takes tasks that are FAILED, CANCELLED/);
    await expect(t.tasks.retryMany({ queue: 'x' } as never)).rejects.toThrow(/unknown filter field "queue"/);
    await expect(t.tasks.deleteMany({ finishedBefore: new Date(NaN) })).rejects.toThrow(InvalidTaskError);
    await expect(t.tasks.retryMany({ queueName: '' })).rejects.toThrow(InvalidTaskError);
    await expect(t.tasks.retryMany({}, { batchSize: 0 })).rejects.toThrow(InvalidTaskError);
    await expect(t.tasks.listTasks({}, { limit: 0 })).rejects.toThrow(InvalidTaskError);
  });

  it('counts tasks per queue and status', async () => {
    const counts = await t.tasks.queueCounts();
    expect(counts.find((queue) => queue.queueName === 'r2')!.counts).toEqual({ [READY]: 5 });
    expect(counts.find((queue) => queue.queueName === 'c1')!.counts).toEqual({ [CANCELLED]: 13 });
  });
});
