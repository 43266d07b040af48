import { TaskResultStatus } from '../../src';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { CapturingLogger } from '../support/capturing-logger';
import { FaultTasks } from '../fixtures/fault-app';
import { FaultRig, waitFor } from '../fault/fault-support';
import { EventListener, EventTasks, eventsOf, seen, seenOf } from './event-fixtures';

const LEASE = 1_500;

/** A worker process killed mid-task: the process that rescues its tasks announces the rescue. */
describe('events: a rescue across processes', () => {
  let db: TestDatabase;
  let t: TestApp;
  let rig: FaultRig;
  let logger: CapturingLogger;

  beforeEach(async () => {
    seen.length = 0;
    logger = new CapturingLogger();
    db = await createTestDatabase();
    t = await createTestApp(db, [FaultTasks, EventTasks, EventListener], {}, [], logger);
    rig = new FaultRig(db);
  });
  afterEach(async () => {
    await t.worker.stop();
    await rig.dispose();
    await t.close();
    await db.cleanup();
  });

  it('SIGKILL: the rescuer fires rescued, then retrying (and later the rerun) or failed + finished; and logs each rescue', async () => {
    const [retried] = await t.tasks.enqueueMany(FaultTasks, 'slowFirst', [[60_000, 10]]);
    const [lastChance] = await t.tasks.enqueueMany(FaultTasks, 'slowFirst', [[60_000, 10]], { maxAttempts: 1 });
    const victim = rig.spawn(['--concurrency', '2', '--lease-duration', String(LEASE), '--interval', '50', '--worker-id', 'victim']);
    await waitFor(() => rig.runs().filter((run) => run.event === 'start').length === 2, 30_000, 'both tasks started in the victim');
    victim.child.kill('SIGKILL');
    await victim.exited;

    const rescuer = t.worker.run({ workerId: 'rescuer', leaseDuration: LEASE, pollInterval: 50 });
    await waitFor(() => eventsOf(retried.id).includes('finished') && eventsOf(lastChance.id).includes('finished'), 30_000, 'both finished');
    await t.worker.stop();
    await rescuer;

    // The victim's own events died with it; the rescuer's start with the rescue.
    expect(eventsOf(retried.id)).toEqual(['enqueued', 'rescued', 'retrying', 'started', 'succeeded', 'finished']);
    expect(eventsOf(lastChance.id)).toEqual(['enqueued', 'rescued', 'failed', 'finished']);
    const lost = `1:WorkerLostError:`;
    expect(seenOf(retried.id, 'rescued')[0]).toMatchObject({ status: TaskResultStatus.READY, attempts: 1 });
    expect(seenOf(retried.id, 'rescued')[0].errors[0]).toContain(lost);
    expect(seenOf(retried.id, 'retrying')[0]).toMatchObject({ status: TaskResultStatus.READY, attempts: 1 });
    expect(seenOf(retried.id, 'succeeded')[0]).toMatchObject({ status: TaskResultStatus.SUCCESSFUL, attempts: 2 });
    expect(seenOf(lastChance.id, 'failed')[0]).toMatchObject({ status: TaskResultStatus.FAILED, attempts: 1 });
    expect(seenOf(lastChance.id, 'failed')[0].errors[0]).toContain(lost);

    for (const id of [retried.id, lastChance.id]) expect(logger.find('warn', `Rescued task ${id}`)).toHaveLength(1);
    expect(logger.find('log', 'Worker rescuer started')).toHaveLength(1);
    expect(logger.find('log', /Worker rescuer stopped/)).toHaveLength(1);
  });
});
