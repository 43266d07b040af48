import { TaskResultStatus } from '../../src';
import type { TestApp } from '../support/test-app';
import type { TestDatabase } from '../support/test-database';
import { FaultTasks } from '../fixtures/fault-app';
import { allTasks, expectAll, FaultRig, report, waitFor, openFaultEnvironment, closeFaultEnvironment } from './fault-support';

/** SIGTERM with work in flight, in runWorker() and in a user's own bootstrap; timeouts that are ignored. */
describe('fault: shutdown and timeouts', () => {
  let db: TestDatabase;
  let t: TestApp;
  let rig: FaultRig;

  beforeEach(async () => ({ db, t, rig } = await openFaultEnvironment()));
  afterEach(() => closeFaultEnvironment({ db, t, rig }));

  it('SIGTERM and SIGINT under load: running tasks finish within the shutdown timeout, the rest go back to READY uncharged', async () => {
    const started = Date.now();
    const long = [
      ...(await t.tasks.enqueueMany(FaultTasks, 'work', Array.from({ length: 4 }, () => [10_000] as [number]))),
      // These ignore their signal: the shutdown timeout must not wait for them.
      ...(await t.tasks.enqueueMany(FaultTasks, 'work', Array.from({ length: 4 }, () => [10_000, true] as [number, boolean]))),
    ];
    await t.tasks.enqueueMany(FaultTasks, 'work', Array.from({ length: 150 }, () => [300] as [number]));
    const flags = ['--concurrency', '8', '--shutdown-timeout', '1500', '--lease-duration', '3000', '--interval', '50'];
    const workers = [rig.spawn(flags), rig.spawn(flags)];
    const ended = () => rig.runs().filter((run) => run.event === 'end').length;
    await waitFor(() => long.every((task) => rig.starts().has(task.id)) && ended() >= 20, 30_000, 'long tasks running, short ones flowing');

    const signalled = Date.now();
    workers[0].child.kill('SIGTERM');
    workers[1].child.kill('SIGINT');
    expect(await Promise.all(workers.map((worker) => worker.exited))).toEqual([0, 0]);
    const stopMs = Date.now() - signalled;
    expect(stopMs).toBeLessThan(1_500 + 3_000);

    expect(rig.outputs()).not.toMatch(/no attempt here holds it|Lost the lease|Could not/);
    const runs = rig.runs();
    const endedIds = new Set(runs.filter((run) => run.event === 'end').map((run) => run.id));
    const startedIds = new Set(runs.filter((run) => run.event === 'start').map((run) => run.id));
    const afterStop = await allTasks(t);
    expect(afterStop).toHaveLength(158);
    let finishedInDrain = 0;
    for (const task of afterStop) {
      if (endedIds.has(task.id)) {
        expect(task.status).toBe(TaskResultStatus.SUCCESSFUL);
        expect(task.attempts).toBe(1);
      } else {
        expect(task.status).toBe(TaskResultStatus.READY);
        expect(task.attempts).toBe(0);
        expect(task.errors).toEqual([]);
        expect(task.startedAt).toBeNull();
      }
      if (endedIds.has(task.id) && task.finishedAt!.getTime() >= signalled) finishedInDrain++;
    }
    // Short tasks were mid-flight when the signal came and were allowed to finish.
    expect(finishedInDrain).toBeGreaterThan(0);
    for (const task of long) expect(afterStop.find((row) => row.id === task.id)!.status).toBe(TaskResultStatus.READY);

    const drain = rig.spawn(['--batch', '--concurrency', '40', '--interval', '50']);
    expect(await drain.exited).toBe(0);
    const final = await allTasks(t);
    expectAll(final, TaskResultStatus.SUCCESSFUL);
    const ends = new Map<string, number>();
    for (const run of rig.runs()) if (run.event === 'end') ends.set(run.id, (ends.get(run.id) ?? 0) + 1);
    for (const task of final) {
      expect(ends.get(task.id)).toBe(1);
      expect(task.attempts).toBe(1);
      expect(task.errors).toEqual([]);
    }
    const interrupted = [...startedIds].filter((id) => !endedIds.has(id)).length;
    expect(interrupted).toBe(8);
    report({ fault: 'SIGTERM + SIGINT under load (158 tasks, 8 past the shutdown timeout)', tasks: 158, lost: 0, duplicates: 0, interrupted, stopMs, ms: Date.now() - started });
  }, 120_000);

  it('a user bootstrap (enableShutdownHooks + TaskWorker.run()) drains and records before the DataSource closes', async () => {
    const started = Date.now();
    const quick = await t.tasks.enqueueMany(FaultTasks, 'work', [[1_000], [1_000]]);
    const slow = await t.tasks.enqueueMany(FaultTasks, 'work', [[30_000], [30_000, true]]);
    const worker = rig.spawn(['--concurrency', '4', '--shutdown-timeout', '2000', '--interval', '50'], { FAULT_MODE: 'self' });
    await waitFor(() => rig.runs().length === 4, 30_000, 'all 4 tasks started');
    const signalled = Date.now();
    worker.child.kill('SIGTERM');
    // Nest's shutdown hooks re-raise the signal once the application has closed.
    expect(['SIGTERM', 0]).toContain(await worker.exited);
    expect(Date.now() - signalled).toBeLessThan(2_000 + 3_000);
    expect(worker.output()).toContain('run() resolved');
    expect(worker.output()).not.toMatch(/Could not|ERROR/);

    for (const task of quick) {
      await task.refresh();
      expect(task.status).toBe(TaskResultStatus.SUCCESSFUL);
      expect(task.returnValue).toBe(`done ${task.id}`);
    }
    for (const task of slow) {
      await task.refresh();
      expect(task).toMatchObject({ status: TaskResultStatus.READY, errors: [], workerIds: [] });
    }
    report({ fault: 'SIGTERM to a self-bootstrapped worker (enableShutdownHooks)', tasks: 4, lost: 0, duplicates: 0, ms: Date.now() - started });
  });

  it('a task that ignores its signal past its timeout frees its slot and fails with TaskTimeoutError', async () => {
    const started = Date.now();
    const hung = await t.tasks.enqueue(FaultTasks, 'hang', [60_000]);
    const after = await t.tasks.enqueueMany(FaultTasks, 'work', Array.from({ length: 5 }, () => [50] as [number]));
    const worker = rig.spawn(['--concurrency', '1', '--interval', '50', '--shutdown-timeout', '60000']);
    await waitFor(async () => (await allTasks(t)).every((task) => task.isFinished), 20_000, 'all tasks finished');
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    // Nothing was left running: the long shutdown timeout was not spent waiting for the hung task.
    expect(Date.now() - started).toBeLessThan(20_000);

    await hung.refresh();
    expect(hung.status).toBe(TaskResultStatus.FAILED);
    expect(hung.errors.map((error) => [error.name, error.attempt])).toEqual([['TaskTimeoutError', 1], ['TaskTimeoutError', 2]]);
    for (const task of after) expect((await task.refresh()).status).toBe(TaskResultStatus.SUCCESSFUL);
    report({ fault: 'timeout ignored by the task (concurrency 1)', tasks: 6, lost: 0, duplicates: 0, ms: Date.now() - started });
  });
});
