import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { killWorkers, WorkerProcess } from '../support/worker-process';
import { startIdleWorker } from '../support/latency';
import { waitUntil } from '../support/wait-until';
import { ProcessTasks } from '../fixtures/worker-app';
import { FINISHED_CHANNEL } from '../../src/dialects/postgres/pg-channels';

/**
 * A finish is NOTIFYed only while another process waits for finishes (FinishInterest): PostgreSQL
 * signals every listening backend, every worker's included, for each NOTIFY.
 */
describe('scale: finish notifications across processes (postgres)', () => {
  let db: TestDatabase;
  let t: TestApp;
  let worker: WorkerProcess;
  let probe: Client;
  const heard: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db, [ProcessTasks]);
    const options = db.options as { host: string; port: number; username: string; database: string };
    probe = new Client({ host: options.host, port: options.port, user: options.username, database: options.database });
    await probe.connect();
    probe.on('notification', (notification) => heard.push(...(notification.payload ?? '').split(',')));
    await probe.query(`LISTEN ${FINISHED_CHANNEL}`);
    worker = await startIdleWorker(db);
  });
  afterAll(async () => {
    await killWorkers();
    await probe.end();
    await t.close();
    await db.cleanup();
  });

  it('sends none while no process waits', async () => {
    const results = await t.tasks.enqueueMany(ProcessTasks, 'record', Array.from({ length: 50 }, (_, i): [string] => [`quiet ${i}`]));
    const ids = results.map((result) => result.id);
    const dataSource = t.app.get(DataSource);
    // Read without wait(), which would ask for notifications.
    await waitUntil(async () => {
      const [{ done }] = await dataSource.query(`SELECT count(*)::int AS done FROM task_results WHERE status = 'SUCCESSFUL' AND id = ANY($1)`, [ids]);
      return done === ids.length;
    }, 20_000, 'the 50 tasks to finish');
    // Cancelling a task in this process does not notify either.
    const later = await t.tasks.enqueue(ProcessTasks, 'record', ['later'], { delay: 60_000 });
    expect((await t.tasks.cancel(later.id)).status).toBe('CANCELLED');
    // A notification sent at a finish arrives within milliseconds; give it ample time.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(heard).toEqual([]);
  });

  it('wakes a wait() at the finish in the other process, long before its next poll', async () => {
    // Long enough for this process's interest to reach the worker before the task finishes.
    const result = await t.tasks.enqueue(ProcessTasks, 'sleep', [1_000]);
    const started = performance.now();
    // The first read finds it ready or running; the next poll would come 20 s later.
    await expect(result.wait({ timeout: 30_000, pollInterval: 20_000, maxPollInterval: 20_000 })).resolves.toBe(1_000);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeLessThan(6_000);
    expect(heard).toContain(result.id);
    expect(worker.child.exitCode).toBeNull();
  });
});
