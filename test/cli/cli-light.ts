import { TaskResultStatus } from '../../src';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { killWorkers, spawnWorker, WORKER_START_MS } from '../support/worker-process';
import { waitUntil } from '../support/wait-until';
import { ProcessTasks } from '../fixtures/worker-app';
import { runCommand } from './cli-support';

/**
 * The command line against a server database, next to a real worker: `workers` lists it, and a
 * bulk `retry` from another process wakes it (`pollInterval`: how long it would otherwise sleep).
 */
export function describeCommandLine(pollInterval: number): void {
  describe('command line next to a worker', () => {
    let db: TestDatabase;
    let t: TestApp;

    beforeAll(async () => {
      db = await createTestDatabase();
      t = await createTestApp(db, [ProcessTasks]);
    });
    afterAll(async () => {
      await killWorkers();
      await t.close();
      await db.cleanup();
    });

    it('lists the worker, and a bulk retry or run-now runs the tasks on it', async () => {
      await t.tasks.enqueueMany(ProcessTasks, 'record', Array.from({ length: 5 }, (_, i) => [`l${i}`] as [string]), { queueName: 'light' });
      expect(await t.tasks.cancelMany({ queueName: 'light' })).toBe(5);
      const worker = spawnWorker(db, ['--queue', 'light', '--worker-id', 'light-worker', '--interval', String(pollInterval),
        '--heartbeat-interval', '500', '--no-scheduler']);
      await waitUntil(async () => (await t.tasks.listWorkers()).length === 1, WORKER_START_MS, 'the worker registered');

      const workers = await runCommand(db, ['workers', '--json']);
      expect(workers.json()).toEqual([expect.objectContaining({ id: 'light-worker', pid: worker.child.pid, queues: ['light'], concurrency: 10 })]);
      const retry = await runCommand(db, ['retry', '--queue', 'light', '--json']);
      expect(retry.json()).toEqual({ retry: 5 });
      await waitUntil(async () => (await t.tasks.countTasks({ queueName: 'light', status: TaskResultStatus.SUCCESSFUL })) === 5,
        10_000, 'the retried tasks run');
      // run-now from another process wakes it the same way.
      await t.tasks.enqueueMany(ProcessTasks, 'record', Array.from({ length: 3 }, (_, i) => [`d${i}`] as [string]), { queueName: 'light', delay: 3_600_000 });
      expect((await runCommand(db, ['run-now', '--queue', 'light', '--json'])).json()).toEqual({ 'run-now': 3 });
      await waitUntil(async () => (await t.tasks.countTasks({ queueName: 'light', status: TaskResultStatus.SUCCESSFUL })) === 8,
        10_000, 'the tasks made due run');
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
    });
  });
}
