import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Task, TASK_BACKEND, TaskResultStatus, TaskService } from '../../src';
import { DatabaseBackend } from '../../src/backends/database.backend';
import type { TaskDialect } from '../../src/dialects/task-dialect.interface';
import { cancelled, failed, released, succeeded } from '../../src/core/task.transitions';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { FaultTasks } from '../fixtures/fault-app';
import { allTasks, FaultRig, report, sleep, waitFor, openFaultEnvironment, closeFaultEnvironment } from './fault-support';

const LEASE = 1_500;

/** Workers that die (SIGKILL) or lose their lease: their tasks are rescued, and fenced off. */
describe('fault: crashed workers and lost leases', () => {
  let db: TestDatabase;
  let t: TestApp;
  let rig: FaultRig;

  beforeEach(async () => ({ db, t, rig } = await openFaultEnvironment()));
  afterEach(() => closeFaultEnvironment({ db, t, rig }));

  const heldBy = async (workerId: string) =>
    Number((await t.app.get(DataSource).query(`SELECT COUNT(*) AS n FROM task_results WHERE status = 'RUNNING' AND claimed_by = '${workerId}'`))[0].n);

  it('SIGKILL mid-task: another worker rescues every task within two lease durations, recording WorkerLostError', async () => {
    const started = Date.now();
    const retried = await t.tasks.enqueueMany(FaultTasks, 'slowFirst', Array.from({ length: 6 }, () => [60_000, 500] as [number, number]));
    const lastChance = await t.tasks.enqueueMany(FaultTasks, 'slowFirst', [[60_000, 500], [60_000, 500]], { maxAttempts: 1 });
    const flags = ['--concurrency', '8', '--lease-duration', String(LEASE), '--interval', '100'];
    const victim = rig.spawn([...flags, '--worker-id', 'victim']);
    await waitFor(() => rig.runs().filter((run) => run.event === 'start').length === 8, 30_000, 'all 8 tasks started');
    const rescuer = rig.spawn([...flags, '--worker-id', 'rescuer']);
    await rescuer.waitForOutput('Worker rescuer started');

    const killedAt = Date.now();
    victim.child.kill('SIGKILL');
    expect(await victim.exited).toBe('SIGKILL');
    await waitFor(async () => (await heldBy('victim')) === 0, 4 * LEASE, 'victim holds nothing');
    const rescueMs = Date.now() - killedAt;
    expect(rescueMs).toBeLessThan(2 * LEASE);

    await waitFor(async () => (await allTasks(t)).every((task) => task.isFinished), 30_000, 'all tasks finished');
    rescuer.child.kill('SIGTERM');
    expect(await rescuer.exited).toBe(0);

    const starts = rig.starts();
    for (const task of await allTasks(t)) {
      const lost = { name: 'WorkerLostError', attempt: 1 };
      expect(task.errors).toEqual([expect.objectContaining(lost)]);
      expect(task.errors[0].message).toContain('victim');
      if (lastChance.some((result) => result.id === task.id)) {
        expect(task.status).toBe(TaskResultStatus.FAILED);
        expect(task.workerIds).toEqual(['victim']);
        expect(starts.get(task.id)).toBe(1);
      } else {
        expect(retried.some((result) => result.id === task.id)).toBe(true);
        expect(task.status).toBe(TaskResultStatus.SUCCESSFUL);
        expect(task.returnValue).toBe(`done ${task.id}`);
        expect(task.workerIds).toEqual(['victim', 'rescuer']);
        expect(starts.get(task.id)).toBe(2);
      }
    }
    report({ fault: 'SIGKILL mid-task, rescued by another worker', tasks: 8, lost: 0, duplicates: 6, rescueMs, ms: Date.now() - started });
  });

  it('SIGKILL under a load of short tasks: the survivor finishes everything, reruns only lost attempts', async () => {
    const started = Date.now();
    const total = 1_500;
    await t.tasks.enqueueMany(FaultTasks, 'work', Array.from({ length: total }, () => [5] as [number]));
    const flags = ['--concurrency', '10', '--lease-duration', String(LEASE), '--interval', '50'];
    const victim = rig.spawn([...flags, '--worker-id', 'victim']);
    const survivor = rig.spawn([...flags, '--worker-id', 'survivor']);
    await Promise.all([victim, survivor].map((worker) => worker.waitForOutput('started')));
    await waitFor(() => rig.runs().filter((run) => run.event === 'end' && run.pid === victim.child.pid).length >= 200, 30_000, 'the victim ran 200 tasks');
    victim.child.kill('SIGKILL');
    await victim.exited;
    await waitFor(async () => (await allTasks(t)).every((task) => task.isFinished), 30_000, 'every task finished');
    survivor.child.kill('SIGTERM');
    expect(await survivor.exited).toBe(0);

    const starts = rig.starts();
    let duplicates = 0;
    let lostUnstarted = 0;
    const tasks = await allTasks(t);
    expect(tasks).toHaveLength(total);
    for (const task of tasks) {
      expect(task.status).toBe(TaskResultStatus.SUCCESSFUL);
      const runs = starts.get(task.id) ?? 0;
      const lost = task.errors.filter((error) => error.name === 'WorkerLostError').length;
      expect(task.errors).toHaveLength(lost);
      expect(task.attempts).toBe(lost + 1);
      expect(runs).toBeGreaterThanOrEqual(1);
      expect(runs).toBeLessThanOrEqual(task.attempts);
      if (lost > 0) expect(task.workerIds.slice(0, lost)).toEqual(Array(lost).fill('victim'));
      duplicates += runs - 1;
      lostUnstarted += task.attempts - runs;
    }
    report({ fault: 'SIGKILL under a load of short tasks', tasks: total, lost: 0, duplicates, lostUnstarted, ms: Date.now() - started });
  });
});

/** Two workers of one test process: the one cut off from the database cannot overwrite the new owner. */
@Injectable()
class FencedTasks {
  /** Workers whose attempts wait for release(). */
  static pauseIn = new Set<string>();
  static waiting: (() => void)[] = [];

  static release(): void {
    FencedTasks.pauseIn.clear();
    FencedTasks.waiting.splice(0).forEach((resume) => resume());
  }

  constructor(private readonly tasks: TaskService) {}

  @Task({ maxAttempts: 3, backoff: 0 })
  async answer(): Promise<string> {
    const { workerId } = this.tasks.context();
    if (FencedTasks.pauseIn.has(workerId)) await new Promise<void>((resume) => FencedTasks.waiting.push(resume));
    return `from ${workerId}`;
  }
}

describe('fault: completion is fenced by lease', () => {
  let db: TestDatabase;
  let a: TestApp;
  let b: TestApp;
  const dialectOf = (app: TestApp) => (app.app.get(TASK_BACKEND) as DatabaseBackend).dialect;

  beforeEach(async () => {
    db = await createTestDatabase();
    a = await createTestApp(db, [FencedTasks]);
    b = await createTestApp(db, [FencedTasks]);
  });
  afterEach(async () => {
    FencedTasks.release();
    await a.close();
    await b.close();
    await db.cleanup();
  });

  it('a stale owner cannot finish, fail, cancel, release, renew or report progress on a row taken over', async () => {
    const da: TaskDialect = dialectOf(a);
    const dbb: TaskDialect = dialectOf(b);
    const task = await a.tasks.enqueue(FencedTasks, 'answer', []);
    const [first] = await da.claim({ workerId: 'old', queues: null, limit: 1, leaseMs: 1 });
    expect(first).toMatchObject({ id: task.id, attempt: 1 });
    await sleep(20);
    expect(await dbb.rescue(10)).toEqual([task.id]);
    const [second] = await dbb.claim({ workerId: 'new', queues: null, limit: 1, leaseMs: 60_000 });
    expect(second).toMatchObject({ id: task.id, attempt: 2 });

    const staleError = { name: 'Error', message: 'stale', traceback: '', attempt: 1, failedAt: new Date().toISOString() };
    const stale = { id: task.id, attempt: 1, maxAttempts: 3 };
    for (const change of [
      succeeded(stale, '"stale"'),
      failed(stale, staleError, { retryable: false }),
      failed(stale, staleError, { retryable: true, backoff: 0 }),
      cancelled(stale),
      released(stale),
    ]) {
      await da.finish('old', [change]);
      // The right worker with the wrong attempt is stale too.
      await da.finish('new', [change]);
    }
    await da.progress('old', stale, JSON.stringify({ current: 1, total: null, message: 'stale' }));
    expect((await da.renew('old', [task.id], 60_000)).held).toEqual([]);
    await task.refresh();
    expect(task).toMatchObject({ status: TaskResultStatus.RUNNING, progress: null, workerIds: ['old', 'new'] });
    expect(task.errors).toEqual([expect.objectContaining({ name: 'WorkerLostError', attempt: 1 })]);
    expect((await dbb.renew('new', [task.id], 60_000)).held).toEqual([{ id: task.id, attempt: 2 }]);

    await dbb.finish('new', [succeeded({ id: task.id, attempt: 2 }, '"fresh"')]);
    await da.finish('old', [succeeded(stale, '"stale"')]);
    await task.refresh();
    expect(task.status).toBe(TaskResultStatus.SUCCESSFUL);
    expect(task.returnValue).toBe('fresh');
    expect(task.errors).toHaveLength(1);
  });

  it('a worker cut off from the database past its lease: the task is rescued and run elsewhere, its late result ignored', async () => {
    const started = Date.now();
    const lease = 600;
    const renew = jest.spyOn(dialectOf(a), 'renew').mockRejectedValue(new Error('connection lost'));
    FencedTasks.pauseIn.add('cut-off');
    const task = await a.tasks.enqueue(FencedTasks, 'answer', []);
    const cutOff = a.worker.run({ workerId: 'cut-off', concurrency: 1, leaseDuration: lease, pollInterval: 50, shutdownTimeout: 10_000 });
    await waitFor(() => FencedTasks.waiting.length === 1, 10_000, 'the task paused in the cut-off worker');
    const healthy = b.worker.run({ workerId: 'healthy', leaseDuration: lease, pollInterval: 50 });
    await waitFor(async () => (await task.refresh()).status === TaskResultStatus.SUCCESSFUL, 10_000, 'the healthy worker finished it');
    expect(renew).toHaveBeenCalled();

    FencedTasks.release();
    await a.worker.stop();
    await b.worker.stop();
    await Promise.all([cutOff, healthy]);
    await task.refresh();
    expect(task.status).toBe(TaskResultStatus.SUCCESSFUL);
    expect(task.returnValue).toBe('from healthy');
    expect(task.workerIds).toEqual(['cut-off', 'healthy']);
    expect(task.errors).toEqual([expect.objectContaining({ name: 'WorkerLostError', attempt: 1 })]);
    report({ fault: 'lease lost while running (cut off), late result', tasks: 1, lost: 0, duplicates: 1, ms: Date.now() - started });
  });

  it('a row held under the worker id that the worker never started (lost claim answer, earlier process with that id) is not renewed forever', async () => {
    const started = Date.now();
    const lease = 600;
    FencedTasks.pauseIn.add('w');
    const busy = await a.tasks.enqueue(FencedTasks, 'answer', []);
    // One slot, kept busy: the worker renews leases all along and claims nothing more.
    const run = a.worker.run({ workerId: 'w', concurrency: 1, leaseDuration: lease, pollInterval: 50 });
    await waitFor(() => FencedTasks.waiting.length === 1, 10_000, 'the busy task paused');
    const orphan = await b.tasks.enqueue(FencedTasks, 'answer', []);
    const [claimed] = await dialectOf(b).claim({ workerId: 'w', queues: null, limit: 1, leaseMs: lease });
    expect(claimed.id).toBe(orphan.id);

    await waitFor(async () => (await orphan.refresh()).status !== TaskResultStatus.RUNNING, 4 * lease, 'the orphaned row left RUNNING');
    const freedMs = Date.now() - started;
    expect(orphan.errors).toEqual([expect.objectContaining({ name: 'WorkerLostError', attempt: 1 })]);
    expect(orphan.status).toBe(TaskResultStatus.READY);

    FencedTasks.release();
    await waitFor(async () => (await orphan.refresh()).status === TaskResultStatus.SUCCESSFUL, 10_000, 'the orphan ran');
    await a.worker.stop();
    await run;
    expect(orphan.workerIds).toEqual(['w', 'w']);
    expect(orphan.returnValue).toBe('from w');
    expect((await busy.refresh()).status).toBe(TaskResultStatus.SUCCESSFUL);
    report({ fault: 'row held under own worker id but unknown (lost claim answer)', tasks: 2, lost: 0, duplicates: 0, rescueMs: freedMs, ms: Date.now() - started });
  });
});
