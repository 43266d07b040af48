import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Task, TASK_BACKEND, TaskResultStatus, TaskService } from '../../src';
import { DatabaseBackend } from '../../src/backends/database.backend';
import type { TaskDialect } from '../../src/dialects/task-dialect.interface';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { FaultTasks } from '../fixtures/fault-app';
import { allTasks, FaultRig, report, sleep, waitFor } from './fault-support';

const LEASE = 1_500;

/** Workers that die (SIGKILL) or lose their lease: their tasks are rescued, and fenced off. */
describe('fault: crashed workers and lost leases', () => {
  let db: TestDatabase;
  let t: TestApp;
  let rig: FaultRig;

  beforeEach(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db, [FaultTasks]);
    rig = new FaultRig(db);
  });
  afterEach(async () => {
    await rig.dispose();
    await t.close();
    await db.cleanup();
  });

  const heldBy = async (workerId: string) =>
    Number((await t.app.get(DataSource).query(`SELECT COUNT(*) AS n FROM task_results WHERE status = 'RUNNING' AND claimed_by = '${workerId}'`))[0].n);

  it('SIGKILL mid-task: another worker rescues every task within two lease durations, recording WorkerLostError', async () => {
    const started = Date.now();
    const retried = await t.tasks.enqueueMany(FaultTasks, 'work', Array.from({ length: 6 }, () => [2_500] as [number]));
    const lastChance = await t.tasks.enqueueMany(FaultTasks, 'work', [[2_500], [2_500]], { maxAttempts: 1 });
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

  it('SIGKILL, then a busy restart under the same --worker-id: the dead attempts are not kept alive', async () => {
    const started = Date.now();
    const orphaned = await t.tasks.enqueueMany(FaultTasks, 'work', Array.from({ length: 3 }, () => [60_000] as [number]));
    const flags = ['--concurrency', '8', '--lease-duration', String(LEASE), '--interval', '100', '--worker-id', 'pod-0', '--shutdown-timeout', '300'];
    const first = rig.spawn(flags);
    await waitFor(() => rig.runs().length === 3, 30_000, 'all 3 tasks started');
    first.child.kill('SIGKILL');
    await first.exited;
    // The restarted worker always holds a task, so it renews leases under the dead one's id.
    const busy = await t.tasks.enqueueMany(FaultTasks, 'work', Array.from({ length: 4 }, () => [2_000] as [number]));
    const restarted = rig.spawn(flags);
    await waitFor(async () => (await allTasks(t)).filter((task) => orphaned.some((o) => o.id === task.id))
      .every((task) => task.errors.length === 1), 6 * LEASE + 5_000, 'the dead attempts are recorded as lost');
    restarted.child.kill('SIGTERM');
    expect(await restarted.exited).toBe(0);

    for (const task of await allTasks(t)) {
      if (busy.some((result) => result.id === task.id)) {
        expect(task.status).toBe(TaskResultStatus.SUCCESSFUL);
      } else {
        expect(task.errors).toEqual([expect.objectContaining({ name: 'WorkerLostError', attempt: 1 })]);
        // Rescued, claimed again by the restarted worker, then released uncharged by its SIGTERM.
        expect(task.status).toBe(TaskResultStatus.READY);
        expect(task.workerIds).toEqual(['pod-0']);
      }
    }
    report({ fault: 'SIGKILL, restart with the same worker id', tasks: 7, lost: 0, duplicates: 0, ms: Date.now() - started });
  });
});

/** Two workers of one test process: the one cut off from the database cannot overwrite the new owner. */
@Injectable()
class FencedTasks {
  static release?: () => void;
  static paused?: Promise<void>;

  constructor(private readonly tasks: TaskService) {}

  @Task({ maxAttempts: 3, backoff: 0 })
  async answer(): Promise<string> {
    const { workerId } = this.tasks.context();
    if (workerId === 'cut-off') await new Promise<void>((resolve) => (FencedTasks.release = resolve));
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
    FencedTasks.release?.();
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
    expect(await dbb.rescueExpired(10)).toEqual([task.id]);
    const [second] = await dbb.claim({ workerId: 'new', queues: null, limit: 1, leaseMs: 60_000 });
    expect(second).toMatchObject({ id: task.id, attempt: 2 });

    const staleError = { name: 'Error', message: 'stale', traceback: '', attempt: 1, failedAt: new Date().toISOString() };
    for (const outcome of [
      { kind: 'succeeded' as const, id: task.id, attempt: 1, returnValue: '"stale"' },
      { kind: 'failed' as const, id: task.id, attempt: 1, error: staleError, retryAt: null },
      { kind: 'failed' as const, id: task.id, attempt: 1, error: staleError, retryAt: new Date() },
      { kind: 'cancelled' as const, id: task.id, attempt: 1 },
      { kind: 'released' as const, id: task.id, attempt: 1 },
    ]) {
      await da.finish('old', [outcome]);
      // The right worker with the wrong attempt is stale too.
      await da.finish('new', [{ ...outcome, attempt: 1 }]);
    }
    await da.setProgress(task.id, 'old', 1, JSON.stringify({ current: 1, total: null, message: 'stale' }));
    expect((await da.renewLeases('old', 60_000)).held.size).toBe(0);
    await task.refresh();
    expect(task).toMatchObject({ status: TaskResultStatus.RUNNING, progress: null, workerIds: ['old', 'new'] });
    expect(task.errors).toEqual([expect.objectContaining({ name: 'WorkerLostError', attempt: 1 })]);
    expect((await dbb.renewLeases('new', 60_000)).held).toEqual(new Set([`${task.id}:2`]));

    await dbb.finish('new', [{ kind: 'succeeded', id: task.id, attempt: 2, returnValue: '"fresh"' }]);
    await da.finish('old', [{ kind: 'succeeded', id: task.id, attempt: 1, returnValue: '"stale"' }]);
    await task.refresh();
    expect(task.status).toBe(TaskResultStatus.SUCCESSFUL);
    expect(task.returnValue).toBe('fresh');
    expect(task.errors).toHaveLength(1);
  });

  it('a worker cut off from the database past its lease: the task is rescued and run elsewhere, its late result ignored', async () => {
    const started = Date.now();
    const lease = 600;
    const renew = jest.spyOn(dialectOf(a), 'renewLeases').mockRejectedValue(new Error('connection lost'));
    const task = await a.tasks.enqueue(FencedTasks, 'answer', []);
    const cutOff = a.worker.run({ workerId: 'cut-off', leaseDuration: lease, pollInterval: 50, shutdownTimeout: 10_000 });
    await waitFor(() => FencedTasks.release !== undefined, 10_000, 'the task paused in the cut-off worker');
    const healthy = b.worker.run({ workerId: 'healthy', leaseDuration: lease, pollInterval: 50 });
    await waitFor(async () => (await task.refresh()).status === TaskResultStatus.SUCCESSFUL, 10_000, 'the healthy worker finished it');
    expect(renew).toHaveBeenCalled();

    FencedTasks.release!();
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
});
