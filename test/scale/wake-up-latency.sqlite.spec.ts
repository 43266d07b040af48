import { DataSource } from 'typeorm';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { spawnWorker, WorkerProcess, WORKER_START_MS } from '../support/worker-process';
import { ProcessTasks } from '../fixtures/worker-app';

const SAMPLES = 100;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * SQLite cannot notify, but the processes sharing its file share the machine: an idle worker of
 * another process hears each commit through a watch of the file, well under its poll interval.
 */
describe('scale: wake-up latency across processes (sqlite)', () => {
  let db: TestDatabase;
  let t: TestApp;
  let worker: WorkerProcess | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db, [ProcessTasks]);
  });
  afterAll(async () => {
    if (worker && worker.child.exitCode === null && worker.child.signalCode === null) {
      worker.child.kill('SIGKILL');
      await worker.exited;
    }
    await t.close();
    await db.cleanup();
  });

  it('enqueue → start p50 < 10 ms with an idle worker polling every second', async () => {
    worker = spawnWorker(db, ['--concurrency', '10', '--interval', '1000', '--worker-id', 'idle-worker']);
    await worker.waitForOutput('Worker idle-worker started', WORKER_START_MS);
    await new Promise((resolve) => setTimeout(resolve, 500));

    for (let i = 0; i < SAMPLES; i++) {
      const result = await t.tasks.enqueue(ProcessTasks, 'record', [`sample ${i}`]);
      await result.wait({ timeout: 5_000, pollInterval: 5, maxPollInterval: 5 });
      // The worker goes back to sleep between samples.
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 15));
    }
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);

    const rows: { ms: number }[] = await t.app.get(DataSource).query(
      `SELECT (julianday(started_at) - julianday(enqueued_at)) * 86400000.0 AS ms FROM task_results WHERE status = 'SUCCESSFUL'`);
    const toStart = rows.map((row) => Number(row.ms)).sort((a, b) => a - b);
    process.stdout.write(`[sqlite] ${SAMPLES} samples, idle worker in another process (poll interval 1000 ms): enqueue → start ` +
      `p50 ${percentile(toStart, 50).toFixed(1)} ms, p95 ${percentile(toStart, 95).toFixed(1)} ms, ` +
      `p99 ${percentile(toStart, 99).toFixed(1)} ms, max ${toStart[toStart.length - 1].toFixed(1)} ms\n`);

    expect(toStart).toHaveLength(SAMPLES);
    // Polling alone would put the median near half the interval (500 ms).
    expect(percentile(toStart, 50)).toBeLessThan(10);
  });
});
