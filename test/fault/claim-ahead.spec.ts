import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { TaskResult, TaskResultStatus } from '../../src';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { spawnWorker, WorkerProcess, WORKER_START_MS } from '../support/worker-process';
import { ClaimAheadTasks } from '../fixtures/claim-ahead-app';
import { waitFor } from './fault-support';

const APP = 'test/fixtures/claim-ahead-app.ts';

/**
 * Defect: after fast tasks a worker claims up to 100 ahead; when its slots then hang, the tasks it
 * claimed ahead stayed RUNNING under leases it kept renewing, and no other worker could take them.
 */
describe('fault: tasks claimed ahead behind a hung slot', () => {
  let db: TestDatabase;
  let t: TestApp;
  let dir: string;
  const workers: WorkerProcess[] = [];

  beforeEach(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db, [ClaimAheadTasks]);
    dir = mkdtempSync(join(tmpdir(), 'nestjs-tasks-claim-ahead-'));
  });
  afterEach(async () => {
    for (const worker of workers.splice(0)) {
      if (worker.child.exitCode === null && worker.child.signalCode === null) {
        worker.child.kill('SIGKILL');
        await worker.exited;
      }
    }
    await t.close();
    await db.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

  it('another worker runs them promptly, each exactly once, while the hung task keeps its slot', async () => {
    const log = join(dir, 'runs.log');
    const before = await t.tasks.enqueueMany(ClaimAheadTasks, 'quick', Array.from({ length: 60 }, (): [] => []));
    const stall = await t.tasks.enqueue(ClaimAheadTasks, 'stall', []);
    const after = await t.tasks.enqueueMany(ClaimAheadTasks, 'quick', Array.from({ length: 150 }, (): [] => []));
    const flags = ['--concurrency', '1', '--interval', '50', '--lease-duration', '3000'];
    workers.push(spawnWorker(db, [...flags, '--worker-id', 'a'], { TASKS_TEST_LOG: log }, APP));
    await waitFor(() => lines(log).some((line) => line.startsWith('stall ')), 30_000, 'the stalling task started in worker a');
    const [, , held] = lines(log).find((line) => line.startsWith('stall '))!.split(' ');
    // The situation of the defect: worker a holds tasks it claimed ahead behind its hung slot.
    expect(Number(held)).toBeGreaterThan(0);

    const b = spawnWorker(db, [...flags, '--worker-id', 'b'], { TASKS_TEST_LOG: log }, APP);
    workers.push(b);
    await b.waitForOutput('Worker b started', WORKER_START_MS);
    const quick = [...before, ...after].map((task) => task.id);
    const repository = t.app.get(DataSource).getRepository(TaskResult);
    // Well inside a lease renewal cycle of many: only giving them back frees them this soon.
    await waitFor(async () => (await repository.countBy({ status: TaskResultStatus.SUCCESSFUL })) === quick.length, 15_000,
      'every quick task finished').catch(async (error) => {
      const rows = await repository.find();
      const states = rows.map((row) => `${row.status}/${row.claimedBy}`).reduce<Record<string, number>>((counts, state) => ({ ...counts, [state]: (counts[state] ?? 0) + 1 }), {});
      throw new Error(`${(error as Error).message}: ${JSON.stringify(states)}\n${workers.map((w) => w.output()).join('\n')}`);
    });

    const runs = new Map<string, number>();
    for (const line of lines(log).filter((entry) => entry.startsWith('run '))) {
      const id = line.split(' ')[1];
      runs.set(id, (runs.get(id) ?? 0) + 1);
    }
    expect(quick.filter((id) => runs.get(id) !== 1)).toEqual([]);
    const rows = await repository.findBy({ status: TaskResultStatus.SUCCESSFUL });
    // Given back uncharged: one attempt each, whoever ran it.
    expect(rows.filter((row) => row.attempts !== 1 || row.errors.length > 0)).toEqual([]);
    expect(rows.some((row) => row.workerIds[0] === 'b')).toBe(true);
    await stall.refresh();
    expect(stall).toMatchObject({ status: TaskResultStatus.RUNNING, claimedBy: 'a' });
  });
});
