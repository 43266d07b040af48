import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TaskResultStatus } from '../../src';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { killWorkers, spawnWorker, WORKER_START_MS } from '../support/worker-process';
import { ProcessTasks } from '../fixtures/worker-app';
import { waitUntil } from '../support/wait-until';

/** `runWorker()` as a real child process: flags, --batch drain, SIGTERM, exit codes. */
describe('worker process', () => {
  let db: TestDatabase;
  let t: TestApp;
  let dir: string;
  let logFile: string;

  beforeEach(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db, [ProcessTasks]);
    dir = mkdtempSync(join(tmpdir(), 'nestjs-tasks-log-'));
    logFile = join(dir, 'runs.log');
  });
  afterEach(async () => {
    await killWorkers();
    await t.close();
    await db.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const runs = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').filter(Boolean) : []);

  it('--batch drains what is due and exits 0', async () => {
    const results = await t.tasks.enqueueMany(ProcessTasks, 'record', Array.from({ length: 50 }, (_, i) => [`t${i}`] as [string]));
    const worker = spawnWorker(db, ['--batch', '--concurrency', '5', '--worker-id', 'batch-worker'], { TASKS_TEST_LOG: logFile });
    expect(await worker.exited).toBe(0);
    expect(runs()).toHaveLength(50);
    for (const result of results) {
      await result.refresh();
      expect(result.status).toBe(TaskResultStatus.SUCCESSFUL);
      expect(result.workerIds).toEqual(['batch-worker']);
    }
  });

  it('exits 2 naming the flag for a bad flag value or an unknown flag', async () => {
    const bad = spawnWorker(db, ['--concurrency', 'lots']);
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toContain('--concurrency');
    const unknown = spawnWorker(db, ['--colour']);
    expect(await unknown.exited).toBe(2);
    expect(unknown.output()).toContain('--colour');
  });

  it('--help prints the usage and --version the package version, both exiting 0 without starting', async () => {
    const help = spawnWorker(db, ['--help']);
    expect(await help.exited).toBe(0);
    expect(help.output()).toContain('Usage:');
    expect(help.output()).toContain('--queue a,b');
    expect(help.output()).not.toContain('TaskWorker');
    // --help wins over a bad flag: whoever asks for help gets it.
    const helpWithBad = spawnWorker(db, ['--concurrency', 'lots', '-h']);
    expect(await helpWithBad.exited).toBe(0);
    expect(helpWithBad.output()).toContain('Usage:');
    const version = spawnWorker(db, ['--version']);
    expect(await version.exited).toBe(0);
    expect(version.output().trim()).toBe(JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')).version);
  });

  it('on SIGTERM lets a running task finish, claims nothing more, and exits 0', async () => {
    const running = await t.tasks.enqueue(ProcessTasks, 'sleep', [1_500]);
    const worker = spawnWorker(db, ['--concurrency', '1', '--interval', '100'], { TASKS_TEST_LOG: logFile });
    await waitUntil(() => runs().some((line) => line.startsWith(`start ${running.id}`)), WORKER_START_MS, 'the task started');
    const waiting = await t.tasks.enqueue(ProcessTasks, 'record', ['not claimed']);
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(await running.refresh()).toMatchObject({ status: TaskResultStatus.SUCCESSFUL });
    expect(running.returnValue).toBe(1_500);
    expect((await waiting.refresh()).status).toBe(TaskResultStatus.READY);
  });

  it('on SIGTERM past the shutdown timeout releases the task to READY without charging the attempt', async () => {
    const running = await t.tasks.enqueue(ProcessTasks, 'sleep', [30_000]);
    const worker = spawnWorker(db, ['--shutdown-timeout', '300'], { TASKS_TEST_LOG: logFile });
    await waitUntil(() => runs().some((line) => line.startsWith(`start ${running.id}`)), WORKER_START_MS, 'the task started');
    const signalled = Date.now();
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(10_000);
    await running.refresh();
    expect(running.status).toBe(TaskResultStatus.READY);
    expect(running.attempts).toBe(0);
    expect(running.errors).toEqual([]);
  });

  it('a second SIGTERM exits at once', async () => {
    const running = await t.tasks.enqueue(ProcessTasks, 'sleep', [30_000]);
    const worker = spawnWorker(db, ['--shutdown-timeout', '60000'], { TASKS_TEST_LOG: logFile });
    await waitUntil(() => runs().some((line) => line.startsWith(`start ${running.id}`)), WORKER_START_MS, 'the task started');
    worker.child.kill('SIGTERM');
    await worker.waitForOutput('SIGTERM received');
    const second = Date.now();
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(Date.now() - second).toBeLessThan(3_000);
    // Left RUNNING under its lease; a live worker rescues it when the lease expires.
    expect((await running.refresh()).status).toBe(TaskResultStatus.RUNNING);
  });
});

