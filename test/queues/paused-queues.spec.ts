import { InvalidTaskError, TaskResultStatus } from '../../src';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TEST_DB, TestDatabase } from '../support/test-database';
import { SampleTasks } from '../fixtures/sample-tasks';

const statuses = (results: { status: TaskResultStatus }[]) => results.map((result) => result.status);

/**
 * Paused queues on the database: stored in task_queues, so every claim (one queue, several, or
 * every queue) leaves them alone until resumed, and a new application sees them paused.
 */
describe(`paused queues (${TEST_DB})`, () => {
  let db: TestDatabase;
  let t: TestApp;

  beforeEach(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db, [SampleTasks], {
      queues: { default: {}, emails: { globalConcurrency: 2, rateLimit: { limit: 10, interval: 1_000 } }, other: {} },
    });
  });
  afterEach(async () => {
    await t.close();
    await db.cleanup();
  });

  async function enqueueIn(queueName: string, count: number) {
    return Promise.all(Array.from({ length: count }, (_, i) => t.tasks.enqueue(SampleTasks, 'add', [i, 1], { queueName })));
  }

  async function refreshed<T extends { refresh(): Promise<unknown> }>(results: T[]): Promise<T[]> {
    await Promise.all(results.map((result) => result.refresh()));
    return results;
  }

  it('is claimed by no worker, whichever queues it claims, until resumed', async () => {
    // Claimed once before the pause: MySQL's claim then starts from where it found rows last.
    const before = await enqueueIn('default', 1);
    await t.worker.run({ batch: true, queues: ['default'] });
    expect(statuses(await refreshed(before))).toEqual([TaskResultStatus.SUCCESSFUL]);
    await t.tasks.pauseQueue('default');
    const paused = await enqueueIn('default', 3);
    const served = await enqueueIn('other', 3);
    for (const queues of [['default'], ['default', 'other'], '*'] as const) {
      await t.worker.run({ batch: true, queues: queues === '*' ? '*' : [...queues] });
      expect(statuses(await refreshed(paused))).toEqual(Array(3).fill(TaskResultStatus.READY));
    }
    expect(statuses(await refreshed(served))).toEqual(Array(3).fill(TaskResultStatus.SUCCESSFUL));

    await t.tasks.resumeQueue('default');
    await t.worker.run({ batch: true, queues: ['default'] });
    expect(statuses(await refreshed(paused))).toEqual(Array(3).fill(TaskResultStatus.SUCCESSFUL));
  });

  it('stays paused for a new application on the same database, and pausing twice or resuming an unpaused queue is harmless', async () => {
    await t.tasks.pauseQueue('other');
    await t.tasks.pauseQueue('other');
    await t.tasks.resumeQueue('emails');
    const waiting = await enqueueIn('other', 2);
    await t.close();
    t = await createTestApp(db, [SampleTasks], { queues: ['default', 'emails', 'other'] });
    await t.worker.run({ batch: true, queues: '*' });
    const reloaded = await Promise.all(waiting.map((result) => t.tasks.getResult(result.id)));
    expect(statuses(reloaded)).toEqual([TaskResultStatus.READY, TaskResultStatus.READY]);
    const queues = await t.tasks.listQueues();
    expect(queues.map(({ name, paused }) => [name, paused])).toEqual([['default', false], ['emails', false], ['other', true]]);
  });

  it('lists every declared queue with its limits, paused flag and tasks per status', async () => {
    await enqueueIn('emails', 2);
    await t.tasks.enqueue(SampleTasks, 'fail', ['no'], { queueName: 'other' });
    await t.tasks.enqueue(SampleTasks, 'add', [1, 2], { queueName: 'other' });
    await t.worker.run({ batch: true, queues: ['other'] });
    await t.tasks.pauseQueue('emails');
    const zero = { WAITING: 0, READY: 0, RUNNING: 0, SUCCESSFUL: 0, FAILED: 0, CANCELLED: 0 };
    expect(await t.tasks.listQueues()).toEqual([
      { name: 'default', paused: false, counts: zero },
      { name: 'emails', paused: true, globalConcurrency: 2, rateLimit: { limit: 10, interval: 1_000 }, counts: { ...zero, READY: 2 } },
      { name: 'other', paused: false, counts: { ...zero, SUCCESSFUL: 1, FAILED: 1 } },
    ]);
  });

  it('refuses a queue the module does not declare, or no queue name at all, storing nothing', async () => {
    await expect(t.tasks.pauseQueue('nope')).rejects.toThrow(InvalidTaskError);
    await expect(t.tasks.resumeQueue('nope')).rejects.toThrow(/"nope" is not one of the module's queues/);
    await expect(t.tasks.pauseQueue('' as string)).rejects.toThrow(InvalidTaskError);
    await expect(t.tasks.pauseQueue(42 as unknown as string)).rejects.toThrow(InvalidTaskError);
    expect((await t.tasks.listQueues()).map((queue) => queue.name)).toEqual(['default', 'emails', 'other']);
  });
});

describe('paused queues without a database', () => {
  it('are listed by the dummy backend, which claims nothing anyway, and any name goes when the module declares none', async () => {
    const t = await createTestApp(null, [SampleTasks], { backend: 'dummy' });
    try {
      await t.tasks.enqueue(SampleTasks, 'add', [1, 2]);
      await t.tasks.pauseQueue('reports');
      const queues = await t.tasks.listQueues();
      expect(queues.map(({ name, paused, counts }) => [name, paused, counts.READY])).toEqual([['default', false, 1], ['reports', true, 0]]);
    } finally {
      await t.close();
    }
  });

  it('refuses a negative, fractional or unknown limit at start-up', async () => {
    for (const queues of [
      { emails: { globalConcurrency: -1 } },
      { emails: { globalConcurrency: 1.5 } },
      { emails: { rateLimit: { limit: 10, interval: 0 } } },
      { emails: { rateLimit: { limit: '10', interval: 1000 } } },
      { emails: { concurrency: 3 } },
    ]) {
      await expect(createTestApp(null, [SampleTasks], { backend: 'dummy', queues: queues as never })).rejects.toThrow(InvalidTaskError);
    }
  });
});
