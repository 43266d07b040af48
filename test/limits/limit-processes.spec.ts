import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { TaskResultStatus } from '../../src';
import { LIMITS_APP_QUEUES, LimitTasks } from '../fixtures/limits-app';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TEST_DB, TestDatabase } from '../support/test-database';
import { waitUntil } from '../support/wait-until';
import { killWorkers, spawnWorker, WORKER_START_MS } from '../support/worker-process';

const APP = 'test/fixtures/limits-app.ts';

/**
 * Paused queues and limits across 4 real worker processes of concurrency 10 on one database,
 * sampled by queries throughout: a paused queue, a queue's globalConcurrency, a rateLimit, a
 * task's limit per concurrency key, and an unlimited queue served meanwhile.
 */
describe(`limits across worker processes (${TEST_DB})`, () => {
  let db: TestDatabase;
  let t: TestApp;
  let dataSource: DataSource;

  const hold = (queueName: string, count: number, ms: number) =>
    t.tasks.enqueueMany(LimitTasks, 'hold', Array.from({ length: count }, () => [ms] as [number]), { queueName });

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db, [LimitTasks], { queues: LIMITS_APP_QUEUES });
    dataSource = t.app.get(DataSource);
    // Paused before any worker starts: the pause is the database's, not a process's.
    await t.tasks.pauseQueue('paused');
    await hold('paused', 20, 10);
    const workers = [1, 2, 3, 4].map(() => spawnWorker(db, ['--queue', 'paused,limited,free,rated,tenants', '--concurrency', '10', '--interval', '50'], {}, APP));
    await Promise.all(workers.map((worker) => worker.waitForOutput(/Worker .* started/, WORKER_START_MS)));
  }, WORKER_START_MS + 10_000);
  afterAll(async () => {
    await killWorkers();
    await t?.close();
    await db?.cleanup();
  });

  async function counts(queue: string): Promise<Record<string, number>> {
    const rows: { status: string; n: number | string }[] = await dataSource.query(
      `SELECT status, count(*) AS n FROM task_results WHERE queue_name = '${queue}' GROUP BY status`);
    return Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]));
  }

  /** Samples `read` until `done`, returning every sample. */
  async function sample<T>(read: () => Promise<T>, done: () => Promise<boolean>, timeout: number): Promise<T[]> {
    const samples: T[] = [];
    const deadline = Date.now() + timeout;
    while (!(await done())) {
      if (Date.now() > deadline) throw new Error(`not done within ${timeout} ms`);
      samples.push(await read());
      await sleep(10);
    }
    return samples;
  }


  async function ids(queue: string, statuses: TaskResultStatus[]): Promise<string[]> {
    const rows: { id: string }[] = await dataSource.query(
      `SELECT id FROM task_results WHERE queue_name = '${queue}' AND status IN (${statuses.map((s) => `'${s}'`).join(', ')})`);
    return rows.map((row) => row.id);
  }

  it('claims nothing of a paused queue, from before the processes start and after a pause mid-run, until resumed', async () => {
    // The processes serve another queue meanwhile, and leave the paused one untouched.
    await hold('free', 40, 5);
    await waitUntil(async () => (await counts('free')).SUCCESSFUL === 40, 20_000, 'the free queue drained');
    await sleep(300);
    expect(await counts('paused')).toEqual({ READY: 20 });

    // Resumed, then paused again while its tasks run: what was claimed finishes, nothing more is claimed.
    await t.tasks.resumeQueue('paused');
    await hold('paused', 160, 300);
    await waitUntil(async () => ((await counts('paused')).SUCCESSFUL ?? 0) >= 40, 20_000, 'the first tasks ran');
    await t.tasks.pauseQueue('paused');
    // A claim already under way when the pause committed may still take its rows.
    await sleep(200);
    const claimed = await ids('paused', [TaskResultStatus.RUNNING, TaskResultStatus.SUCCESSFUL]);
    await waitUntil(async () => !(await counts('paused')).RUNNING, 10_000, 'the claimed tasks finished');
    await sleep(700);
    const ran = await ids('paused', [TaskResultStatus.RUNNING, TaskResultStatus.SUCCESSFUL]);
    expect(ran.filter((id) => !claimed.includes(id))).toEqual([]);
    expect(ran.length).toBeLessThan(180);

    await t.tasks.resumeQueue('paused');
    await waitUntil(async () => (await counts('paused')).SUCCESSFUL === 180, 20_000, 'the paused queue drained after resume');
  }, 60_000);

  it('never has more than globalConcurrency RUNNING, while an unlimited queue drains beside it', async () => {
    await hold('limited', 24, 250);
    await hold('free', 300, 5);
    let freeDrainedWhileLimitedWaited = false;
    const samples = await sample(async () => {
      const limited = await counts('limited');
      const free = await counts('free');
      if (!free.READY && !free.RUNNING && (limited.READY ?? 0) > 0) freeDrainedWhileLimitedWaited = true;
      return limited.RUNNING ?? 0;
    }, async () => (await counts('limited')).SUCCESSFUL === 24, 30_000);
    expect(Math.max(...samples)).toBe(3);
    expect(samples.length).toBeGreaterThan(20);
    expect(freeDrainedWhileLimitedWaited).toBe(true);
  }, 40_000);

  it('starts at most rateLimit.limit tasks per interval (50 per second)', async () => {
    const results = await hold('rated', 150, 1);
    await waitUntil(async () => (await counts('rated')).SUCCESSFUL === 150, 15_000, 'the rated queue drained');
    const rows: { started_at: Date | string }[] = await dataSource.query("SELECT started_at FROM task_results WHERE queue_name = 'rated'");
    const starts = rows.map((row) => new Date(typeof row.started_at === 'string' && !row.started_at.endsWith('Z') ? `${row.started_at.replace(' ', 'T')}Z` : row.started_at).getTime())
      .sort((a, b) => a - b);
    // Windows of one second each, from the database's clock: any second spans at most two of them.
    for (const at of starts) expect(starts.filter((other) => other >= at && other < at + 1_000).length).toBeLessThanOrEqual(100);
    // 150 at 50 per window need three windows: the third opens two seconds after the first.
    expect(starts[starts.length - 1] - starts[0]).toBeGreaterThanOrEqual(1_990);
    expect(results).toHaveLength(150);
  }, 20_000);

  it('holds a task limit per concurrency key, the keys running side by side', async () => {
    const tenants = ['a', 'b', 'c', 'd'];
    await Promise.all(tenants.map((tenant) =>
      t.tasks.enqueueMany(LimitTasks, 'tenant', Array.from({ length: 6 }, () => [tenant, 150] as [string, number]))));
    const samples = await sample(async () => {
      const rows: { key: string; n: number | string }[] = await dataSource.query(
        "SELECT concurrency_key AS \"key\", count(*) AS n FROM task_results WHERE queue_name = 'tenants' AND status = 'RUNNING' GROUP BY concurrency_key"
          .replace(/"/g, TEST_DB === 'mysql' ? '`' : '"'));
      return new Map(rows.map((row) => [row.key, Number(row.n)]));
    }, async () => (await counts('tenants')).SUCCESSFUL === 24, 20_000);
    const peaks = Object.fromEntries(tenants.map((tenant) => [tenant, Math.max(0, ...samples.map((s) => s.get(tenant) ?? 0))]));
    expect(peaks).toEqual({ a: 2, b: 2, c: 2, d: 2 });
    expect(Math.max(...samples.map((s) => [...s.values()].reduce((sum, n) => sum + n, 0)))).toBeGreaterThanOrEqual(6);
    expect((await t.tasks.listQueues()).find((queue) => queue.name === 'tenants')!.counts[TaskResultStatus.SUCCESSFUL]).toBe(24);
  }, 30_000);
});
