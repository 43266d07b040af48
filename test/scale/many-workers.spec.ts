import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase, TEST_DB, TEST_ENGINE } from '../support/test-database';
import { spawnWorker, WorkerProcess, WORKER_START_MS } from '../support/worker-process';
import { waitUntil } from '../support/wait-until';
import { ProcessTasks } from '../fixtures/worker-app';

const TASKS = 5_000;
const PROCESSES = 4;
const CONCURRENCY = 8;

/**
 * Several real worker processes on one table: every task runs exactly once, nothing is left
 * behind, and the claims spread over the processes. On PostgreSQL and MySQL/MariaDB this is
 * SKIP LOCKED under contention (and, on MySQL, proof the claim transaction does not deadlock:
 * a deadlock fails a claim and is logged).
 */
describe(`scale: ${PROCESSES} worker processes, ${TASKS} tasks (${TEST_DB})`, () => {
  let db: TestDatabase;
  let t: TestApp;
  let dir: string;
  let workers: WorkerProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db, [ProcessTasks]);
    dir = mkdtempSync(join(tmpdir(), 'nestjs-tasks-scale-'));
  });
  afterAll(async () => {
    for (const worker of workers) {
      if (worker.child.exitCode === null && worker.child.signalCode === null) {
        worker.child.kill('SIGKILL');
        await worker.exited;
      }
    }
    await t.close();
    await db.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs each task exactly once, leaves nothing READY or RUNNING, and spreads the work', async () => {
    const logFile = join(dir, 'runs.log');
    workers = Array.from({ length: PROCESSES }, (_, index) =>
      spawnWorker(db, ['--concurrency', String(CONCURRENCY), '--interval', '200', '--worker-id', `scale-${index}`],
        { TASKS_TEST_LOG: logFile }));
    // All idle before the first task exists: none gets a head start.
    await Promise.all(workers.map((worker, index) => worker.waitForOutput(`Worker scale-${index} started`, WORKER_START_MS)));

    const started = Date.now();
    await t.tasks.enqueueMany(ProcessTasks, 'record', Array.from({ length: TASKS }, (_, i) => [`task ${i}`] as [string]));
    const dataSource = t.app.get(DataSource);
    const unfinished = async () => Number((await dataSource.query(
      `SELECT COUNT(*) AS n FROM task_results WHERE status IN ('READY', 'RUNNING')`))[0].n);
    await waitUntil(async () => (await unfinished()) === 0, 45_000, 'every task finished');
    const elapsed = Date.now() - started;

    workers.forEach((worker) => worker.child.kill('SIGTERM'));
    expect(await Promise.all(workers.map((worker) => worker.exited))).toEqual(workers.map(() => 0));

    // Executions as the tasks themselves recorded them.
    const lines = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').filter(Boolean) : [];
    const runsPerTask = new Map<string, number>();
    const runsPerPid = new Map<string, number>();
    for (const line of lines) {
      const [event, id, pid] = line.split(' ');
      expect(event).toBe('run');
      runsPerTask.set(id, (runsPerTask.get(id) ?? 0) + 1);
      runsPerPid.set(pid, (runsPerPid.get(pid) ?? 0) + 1);
    }
    const duplicates = [...runsPerTask.values()].filter((count) => count > 1).length;

    // And as the table recorded them.
    const attempts = { postgres: 'jsonb_array_length(worker_ids)', mysql: 'JSON_LENGTH(worker_ids)', sqlite: 'json_array_length(worker_ids)' }[TEST_ENGINE];
    const rows: { status: string; attempts: number | string; n: number | string }[] = await dataSource.query(
      `SELECT status, ${attempts} AS attempts, COUNT(*) AS n FROM task_results GROUP BY status, ${attempts}`);
    const perWorker: { worker: string; n: number | string }[] = await dataSource.query(
      'SELECT claimed_by AS worker, COUNT(*) AS n FROM task_results GROUP BY claimed_by');
    expect(perWorker).toEqual([{ worker: null, n: expect.anything() }]);

    const split = [...runsPerPid.values()].sort((a, b) => b - a);
    process.stdout.write(`[${TEST_DB}] ${TASKS} tasks, ${PROCESSES} processes x ${CONCURRENCY}: ${lines.length} runs, ` +
      `${runsPerTask.size} distinct, ${duplicates} duplicates, split ${split.join('/')}, ${elapsed} ms ` +
      `(${Math.round(TASKS / (elapsed / 1000))} tasks/s)\n`);

    expect(rows.map((row) => ({ status: row.status, attempts: Number(row.attempts), n: Number(row.n) })))
      .toEqual([{ status: 'SUCCESSFUL', attempts: 1, n: TASKS }]);
    expect(lines).toHaveLength(TASKS);
    expect(runsPerTask.size).toBe(TASKS);
    expect(duplicates).toBe(0);
    expect(runsPerPid.size).toBe(PROCESSES);
    // Every process takes part and none does it all. Not a fair share: the burst lasts about a
    // second, idle workers all wake at the enqueue's commit, and on two shared cores (SQLite: one
    // writer at a time, whose lock is not handed out in turn) who claims first is luck.
    for (const count of runsPerPid.values()) expect(count).toBeGreaterThan(0);
    expect(Math.max(...runsPerPid.values())).toBeLessThan(TASKS * 0.75);
    // A deadlock or a failed claim is logged by the worker that hit it.
    const output = workers.map((worker) => worker.output()).join('\n');
    expect(output).not.toMatch(/deadlock|Could not claim|Could not record|Lost the lease/i);
  });
});
