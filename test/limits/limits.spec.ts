import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { InvalidTaskError, Task, TaskConcurrencyKeyError, TaskResultStatus, TaskService } from '../../src';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TEST_DB, TestDatabase } from '../support/test-database';

@Injectable()
class Jobs {
  static running = 0;
  static peak = 0;
  static byTenant = new Map<string, { running: number; peak: number }>();

  private static async hold(ms: number, tenant?: string): Promise<void> {
    const entry = tenant === undefined ? undefined : Jobs.byTenant.get(tenant) ?? { running: 0, peak: 0 };
    if (tenant !== undefined) Jobs.byTenant.set(tenant, entry!);
    Jobs.running++;
    Jobs.peak = Math.max(Jobs.peak, Jobs.running);
    if (entry) entry.peak = Math.max(entry.peak, ++entry.running);
    await new Promise((resolve) => setTimeout(resolve, ms));
    Jobs.running--;
    if (entry) entry.running--;
  }

  @Task({ queueName: 'narrow' })
  async narrow(ms: number): Promise<void> {
    await Jobs.hold(ms);
  }

  @Task({ queueName: 'wide' })
  async wide(): Promise<string> {
    return 'wide';
  }

  @Task({ queueName: 'tenants', globalConcurrency: 1, concurrencyKey: (tenant: string) => tenant })
  async perTenant(tenant: string, ms: number): Promise<void> {
    await Jobs.hold(ms, tenant);
  }

  @Task({ queueName: 'tenants', globalConcurrency: 2 })
  async twoAtOnce(ms: number): Promise<void> {
    await Jobs.hold(ms, 'twoAtOnce');
  }

  @Task({ queueName: 'keys', globalConcurrency: 1, concurrencyKey: (key: unknown) => key as string })
  async anyKey(key: unknown): Promise<unknown> {
    return key;
  }

  @Task({ queueName: 'keys', globalConcurrency: 1, concurrencyKey: (): string => { throw new Error('no key today'); } })
  async throwingKey(): Promise<void> {}
}

/** Limits enforced by one in-process worker on each database (the processes' test checks them across workers). */
describe(`limits (${TEST_DB})`, () => {
  let db: TestDatabase;
  let t: TestApp;

  beforeEach(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db, [Jobs], {
      queues: { narrow: { globalConcurrency: 2 }, wide: {}, tenants: {}, keys: {}, rated: { rateLimit: { limit: 5, interval: 400 } } },
    });
    Jobs.running = Jobs.peak = 0;
    Jobs.byTenant.clear();
  });
  afterEach(async () => {
    await t.close();
    await db.cleanup();
  });

  const statusesOf = async (ids: string[]) => Promise.all(ids.map(async (id) => (await t.tasks.getResult(id)).status));

  it('runs at most globalConcurrency tasks of a queue at once, while its other queues run freely', async () => {
    const narrow = await t.tasks.enqueueMany(Jobs, 'narrow', Array.from({ length: 8 }, () => [60] as [number]));
    const wide = await t.tasks.enqueueMany(Jobs, 'wide', Array.from({ length: 30 }, () => [] as []));
    const summary = await t.worker.run({ queues: ['narrow', 'wide'], concurrency: 10, batch: false, maxTasks: 38, pollInterval: 20 });
    expect(summary.claimed).toBe(38);
    await Promise.all([...narrow, ...wide].map((result) => result.wait({ timeout: 10_000 })));
    expect(Jobs.peak).toBe(2);
    // Not one attempt charged to a task that waited.
    expect((await Promise.all(narrow.map((result) => t.tasks.getResult(result.id)))).map((result) => result.attempts)).toEqual(Array(8).fill(1));
  });

  it('claims the next task of a queue its own tasks hold at its limit as soon as one is written, not a poll later', async () => {
    const narrow = await t.tasks.enqueueMany(Jobs, 'narrow', Array.from({ length: 6 }, () => [40] as [number]));
    const started = Date.now();
    // The poll would take 5 s a round: only the writes of its own tasks can move the worker on.
    await t.worker.run({ queues: ['narrow', 'wide'], concurrency: 6, maxTasks: 6, pollInterval: 5_000 });
    await Promise.all(narrow.map((result) => result.wait({ timeout: 10_000 })));
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(Jobs.peak).toBe(2);
  });

  it('runs at most globalConcurrency attempts of a task per concurrency key, keys in parallel, and a task limit without key across all', async () => {
    const runs = await Promise.all(['a', 'a', 'a', 'b', 'b', 'b', 'c'].map((tenant) => t.tasks.enqueue(Jobs, 'perTenant', [tenant, 80])));
    const pairs = await t.tasks.enqueueMany(Jobs, 'twoAtOnce', Array.from({ length: 5 }, () => [50] as [number]));
    await t.worker.run({ queues: ['tenants'], concurrency: 10, maxTasks: 12, pollInterval: 20 });
    await Promise.all([...runs, ...pairs].map((result) => result.wait({ timeout: 10_000 })));
    expect(Object.fromEntries([...Jobs.byTenant].map(([tenant, { peak }]) => [tenant, peak]))).toEqual({ a: 1, b: 1, c: 1, twoAtOnce: 2 });
    // Keys ran side by side: more than one task at once overall.
    expect(Jobs.peak).toBeGreaterThanOrEqual(3);
    const keys: { concurrency_key: string | null }[] = await t.app.get(DataSource).query(
      `SELECT concurrency_key FROM task_results WHERE task_name = 'Jobs.perTenant' ORDER BY concurrency_key`);
    expect(keys.map((row) => row.concurrency_key)).toEqual(['a', 'a', 'a', 'b', 'b', 'b', 'c']);
  });

  it('starts at most rateLimit.limit tasks per interval, the rest waiting READY', async () => {
    const results = await t.tasks.enqueueMany(Jobs, 'wide', Array.from({ length: 12 }, () => [] as []), { queueName: 'rated' });
    const started = Date.now();
    await t.worker.run({ queues: ['rated'], concurrency: 10, maxTasks: 12, pollInterval: 20 });
    await Promise.all(results.map((result) => result.wait({ timeout: 10_000 })));
    // 12 tasks at 5 per 400 ms need three windows: the third opens 800 ms after the first.
    expect(Date.now() - started).toBeGreaterThanOrEqual(780);
    const reloaded = await Promise.all(results.map((result) => t.tasks.getResult(result.id)));
    const starts = reloaded.map((result) => result.startedAt!.getTime()).sort((a, b) => a - b);
    for (const at of starts) expect(starts.filter((other) => other >= at && other < at + 400).length).toBeLessThanOrEqual(10);
    expect(reloaded.every((result) => result.attempts === 1)).toBe(true);
  });

  it('leaves a limited queue to a worker that is paused on it, and to none when paused', async () => {
    const narrow = await t.tasks.enqueue(Jobs, 'narrow', [1]);
    await t.tasks.pauseQueue('narrow');
    await t.worker.run({ queues: ['narrow', 'wide'], batch: true });
    await t.worker.run({ queues: '*', batch: true });
    expect(await statusesOf([narrow.id])).toEqual([TaskResultStatus.READY]);
    await t.tasks.resumeQueue('narrow');
    await t.worker.run({ queues: '*', batch: true });
    expect(await statusesOf([narrow.id])).toEqual([TaskResultStatus.SUCCESSFUL]);
  });

  it('refuses a concurrencyKey that throws or returns a non-string, and a limited task sent to another queue, storing nothing', async () => {
    await expect(t.tasks.enqueue(Jobs, 'throwingKey', [])).rejects.toThrow(TaskConcurrencyKeyError);
    await expect(t.tasks.enqueue(Jobs, 'throwingKey', [])).rejects.toThrow(/threw: no key today/);
    await expect(t.tasks.enqueue(Jobs, 'anyKey', [42])).rejects.toThrow(TaskConcurrencyKeyError);
    await expect(t.tasks.enqueueMany(Jobs, 'anyKey', [['fine'], [null]])).rejects.toThrow(/must return a string/);
    await expect(t.tasks.enqueue(Jobs, 'anyKey', ['x'.repeat(192)])).rejects.toThrow(TaskConcurrencyKeyError);
    await expect(t.tasks.enqueue(Jobs, 'perTenant', ['a', 1], { queueName: 'wide' })).rejects.toThrow(InvalidTaskError);
    const rows: { n: number | string }[] = await t.app.get(DataSource).query('SELECT count(*) AS n FROM task_results');
    expect(Number(rows[0].n)).toBe(0);
    expect((await t.tasks.enqueue(Jobs, 'anyKey', ['fine'])).status).toBe(TaskResultStatus.READY);
  });
});

describe('limits at start-up and without a database', () => {
  const bad = (options: object) => {
    @Injectable()
    class Bad {
      @Task(options)
      async run(tenant: string): Promise<string> {
        return tenant;
      }
    }
    return createTestApp(null, [Bad], { backend: 'dummy' });
  };

  it('refuses a task limit that is not a positive integer, or a key without a limit', async () => {
    await expect(bad({ globalConcurrency: 0 })).rejects.toThrow(InvalidTaskError);
    await expect(bad({ globalConcurrency: 2.5 })).rejects.toThrow(/globalConcurrency must be a positive integer/);
    await expect(bad({ concurrencyKey: (tenant: string) => tenant })).rejects.toThrow(/concurrencyKey needs globalConcurrency/);
    await expect(bad({ globalConcurrency: 1, concurrencyKey: 'tenant' })).rejects.toThrow(InvalidTaskError);
  });

  it('does not apply with the immediate backend, which runs each task inside enqueue', async () => {
    const t = await createTestApp(null, [Jobs], { backend: 'immediate', queues: { narrow: { globalConcurrency: 1 }, tenants: {}, wide: {}, keys: {} } });
    try {
      Jobs.peak = 0;
      const results = await Promise.all([1, 2, 3].map(() => t.app.get(TaskService).enqueue(Jobs, 'narrow', [30])));
      expect(results.map((result) => result.status)).toEqual(Array(3).fill(TaskResultStatus.SUCCESSFUL));
      expect(Jobs.peak).toBe(3);
    } finally {
      await t.close();
    }
  });
});
