import { TaskResult, TaskResultStatus } from '../../src';
import type { TestApp } from '../support/test-app';
import type { TestDatabase } from '../support/test-database';
import { FaultTasks } from '../fixtures/fault-app';
import { allTasks, FaultRig, report, sleep, waitFor, openFaultEnvironment, closeFaultEnvironment } from './fault-support';

/** Cancellation from a process other than the worker's: through the lease renewal round trip. */
describe('fault: cancellation across processes', () => {
  let db: TestDatabase;
  let t: TestApp;
  let rig: FaultRig;

  beforeEach(async () => ({ db, t, rig } = await openFaultEnvironment()));
  afterEach(() => closeFaultEnvironment({ db, t, rig }));

  it('cancels a READY task at once and RUNNING ones (cooperative or not) within a lease renewal', async () => {
    const started = Date.now();
    const lease = 900;
    const cooperative = await t.tasks.enqueue(FaultTasks, 'work', [30_000]);
    const stubborn = await t.tasks.enqueue(FaultTasks, 'work', [30_000, true]);
    const later = await t.tasks.enqueue(FaultTasks, 'work', [10], { runAfter: new Date(Date.now() + 3_600_000) });
    const worker = rig.spawn(['--concurrency', '2', '--lease-duration', String(lease), '--interval', '50']);
    await waitFor(() => rig.starts().size === 2, 30_000, 'both tasks started');

    expect((await t.tasks.cancel(later.id)).status).toBe(TaskResultStatus.CANCELLED);
    const cancelledAt = Date.now();
    expect((await t.tasks.cancel(cooperative.id)).status).toBe(TaskResultStatus.RUNNING);
    expect((await t.tasks.cancel(stubborn.id)).status).toBe(TaskResultStatus.RUNNING);
    await waitFor(async () => (await cooperative.refresh()).isFinished && (await stubborn.refresh()).isFinished, 5_000, 'both cancelled');
    const seenMs = Date.now() - cancelledAt;
    expect(seenMs).toBeLessThan(lease);

    // Both slots are free again.
    const next = await t.tasks.enqueueMany(FaultTasks, 'work', [[10], [10]]);
    for (const task of next) expect(await task.wait({ timeout: 10_000 })).toBe(`done ${task.id}`);
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);

    for (const task of [cooperative, stubborn]) {
      await task.refresh();
      expect(task).toMatchObject({ status: TaskResultStatus.CANCELLED, errors: [], workerIds: [expect.any(String)] });
      expect(task.finishedAt).toBeInstanceOf(Date);
    }
    await later.refresh();
    expect(later).toMatchObject({ status: TaskResultStatus.CANCELLED, workerIds: [], startedAt: null });
    expect(rig.starts().has(later.id)).toBe(false);
    report({ fault: 'cancel RUNNING tasks from another process', tasks: 5, lost: 0, duplicates: 0, cancelSeenMs: seenMs, ms: Date.now() - started });
  });

  it('races cancel against claim: every task ends consistent, never stuck, never run after a cancel that won', async () => {
    const started = Date.now();
    const rounds = 6;
    const perRound = 50;
    const flags = ['--concurrency', '8', '--lease-duration', '1000', '--interval', '20'];
    const workers = [rig.spawn(flags), rig.spawn(flags)];
    await Promise.all(workers.map((worker) => worker.waitForOutput('started')));

    const answers = new Map<string, TaskResultStatus>();
    const tasks: TaskResult[] = [];
    for (let round = 0; round < rounds; round++) {
      const batch = await t.tasks.enqueueMany(FaultTasks, 'work', Array.from({ length: perRound }, () => [Math.floor(Math.random() * 30)] as [number]));
      tasks.push(...batch);
      await Promise.all(batch.map(async (task) => {
        await sleep(Math.random() * 60);
        const answer = await t.tasks.cancel(task.id);
        // CANCELLED with no attempt: the cancel won the race outright.
        answers.set(task.id, answer.status === TaskResultStatus.CANCELLED && answer.attempts === 0 ? TaskResultStatus.READY : answer.status);
      }));
    }
    await waitFor(async () => (await allTasks(t)).every((task) => task.isFinished), 30_000, 'every task finished');
    workers.forEach((worker) => worker.child.kill('SIGTERM'));
    expect(await Promise.all(workers.map((worker) => worker.exited))).toEqual([0, 0]);

    expect(rig.outputs()).not.toMatch(/no attempt here holds it|Lost the lease/);
    const starts = rig.starts();
    const tally: Record<string, number> = {};
    const final = await allTasks(t);
    expect(final).toHaveLength(rounds * perRound);
    for (const task of final) {
      const answer = answers.get(task.id)!;
      const key = `${answer}->${task.status}`;
      tally[key] = (tally[key] ?? 0) + 1;
      expect(starts.get(task.id) ?? 0).toBeLessThanOrEqual(1);
      switch (answer) {
        case TaskResultStatus.READY:
          // Cancelled before any worker claimed it: it never runs.
          expect(task).toMatchObject({ status: TaskResultStatus.CANCELLED, workerIds: [] });
          expect(starts.has(task.id)).toBe(false);
          break;
        case TaskResultStatus.RUNNING:
        case TaskResultStatus.CANCELLED:
          // Requested while claimed: whatever the attempt did, the task ends CANCELLED.
          expect(task.status).toBe(TaskResultStatus.CANCELLED);
          expect(task.workerIds).toHaveLength(1);
          break;
        case TaskResultStatus.SUCCESSFUL:
          expect(task.status).toBe(TaskResultStatus.SUCCESSFUL);
          expect(starts.get(task.id)).toBe(1);
          break;
        default:
          throw new Error(`cancel(${task.id}) answered ${answer}`);
      }
    }
    // The race went both ways.
    expect(tally[`${TaskResultStatus.READY}->${TaskResultStatus.CANCELLED}`]).toBeGreaterThan(0);
    expect(final.some((task) => task.workerIds.length > 0)).toBe(true);
    report({ fault: 'cancel racing claim (300 tasks, 2 workers)', tasks: final.length, lost: 0, duplicates: 0, tally: JSON.stringify(tally), ms: Date.now() - started });
  });
});
