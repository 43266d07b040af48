import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { TaskResultStatus } from '../../src';
import { LIMITS_APP_QUEUES, LimitTasks } from '../fixtures/limits-app';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TEST_DB, TestDatabase } from '../support/test-database';
import { waitUntil } from '../support/wait-until';
import { killWorkers, spawnWorker, WORKER_START_MS } from '../support/worker-process';

const APP = 'test/fixtures/limits-app.ts';

/** A paused queue across real worker processes: claimed by none of them until resumed, while they serve other queues. */
describe(`a paused queue across worker processes (${TEST_DB})`, () => {
  let db: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db, [LimitTasks], { queues: LIMITS_APP_QUEUES });
  });
  afterAll(async () => {
    await killWorkers();
    await t?.close();
    await db?.cleanup();
  });

  async function count(queue: string, statuses: TaskResultStatus[]): Promise<number> {
    const rows: { n: number | string }[] = await t.app.get(DataSource).query(
      `SELECT count(*) AS n FROM task_results WHERE queue_name = '${queue}' AND status IN (${statuses.map((s) => `'${s}'`).join(', ')})`);
    return Number(rows[0].n);
  }

  async function ids(queue: string, statuses: TaskResultStatus[]): Promise<string[]> {
    const rows: { id: string }[] = await t.app.get(DataSource).query(
      `SELECT id FROM task_results WHERE queue_name = '${queue}' AND status IN (${statuses.map((s) => `'${s}'`).join(', ')})`);
    return rows.map((row) => row.id);
  }

  it('is not claimed by any process, from before they start and after a pause mid-run, until resumed', async () => {
    await t.tasks.pauseQueue('paused');
    const enqueue = (queueName: string, n: number, ms: number) =>
      t.tasks.enqueueMany(LimitTasks, 'hold', Array.from({ length: n }, () => [ms] as [number]), { queueName });
    await enqueue('paused', 20, 10);
    const workers = [1, 2].map(() => spawnWorker(db, ['--queue', 'paused,free', '--interval', '100', '--concurrency', '2'], {}, APP));
    await Promise.all(workers.map((worker) => worker.waitForOutput(/Worker .* started/, WORKER_START_MS)));

    // Both serve the other queue meanwhile, and the paused one stays untouched.
    await enqueue('free', 8, 10);
    await waitUntil(async () => (await count('free', [TaskResultStatus.SUCCESSFUL])) === 8, 20_000, 'the free queue drained');
    await sleep(500);
    expect(await count('paused', [TaskResultStatus.READY])).toBe(20);

    // Resumed, then paused again while its tasks run: what was claimed finishes (or goes back
    // READY unstarted), nothing more is claimed.
    await t.tasks.resumeQueue('paused');
    await enqueue('paused', 40, 300);
    await waitUntil(async () => (await count('paused', [TaskResultStatus.SUCCESSFUL])) >= 24, 20_000, 'the first tasks ran');
    await t.tasks.pauseQueue('paused');
    // A claim already under way when the pause committed may still take its rows.
    await sleep(300);
    const claimed = await ids('paused', [TaskResultStatus.RUNNING, TaskResultStatus.SUCCESSFUL]);
    await waitUntil(async () => (await count('paused', [TaskResultStatus.RUNNING])) === 0, 10_000, 'the claimed tasks finished');
    await sleep(1_000);
    const ran = await ids('paused', [TaskResultStatus.RUNNING, TaskResultStatus.SUCCESSFUL]);
    expect(ran.filter((id) => !claimed.includes(id))).toEqual([]);
    expect(ran.length).toBeLessThan(60);

    await t.tasks.resumeQueue('paused');
    await waitUntil(async () => (await count('paused', [TaskResultStatus.SUCCESSFUL])) === 60, 30_000, 'the paused queue drained after resume');
    expect((await t.tasks.listQueues()).find((queue) => queue.name === 'paused')).toMatchObject({ paused: false, counts: { SUCCESSFUL: 60 } });
  }, 120_000);
});
