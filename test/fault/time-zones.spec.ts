import { TaskResultStatus } from '../../src';
import { allTasks, closeFaultEnvironment, FaultEnvironment, openFaultEnvironment, report, sleep, waitFor } from './fault-support';
import { FaultTasks } from '../fixtures/fault-app';

const LEASE = 2_000;
/** Starting a worker process transpiles the project: slow on a loaded machine. */
const START_MS = 60_000;
const HOUR = 3_600_000;

/**
 * Processes whose TZ differs share one database: leases and due times must mean the same instant
 * to all of them (the database's clock, times stored in UTC), or live tasks are rescued and
 * scheduled ones run hours early.
 */
describe('fault: workers in different time zones', () => {
  let env: FaultEnvironment;

  beforeEach(async () => (env = await openFaultEnvironment()));
  afterEach(() => closeFaultEnvironment(env));

  it('a live task outlasting a short lease is not rescued, and runAfter = now + 1 h does not run', async () => {
    const { t, rig } = env;
    const started = Date.now();
    const flags = ['--lease-duration', String(LEASE), '--interval', '100', '--concurrency', '2'];
    // Each worker serves its own queue and rescues everyone's expired leases.
    const newYork = rig.spawn([...flags, '--queue', 'default', '--worker-id', 'new-york'], { TZ: 'America/New_York' });
    const utc = rig.spawn([...flags, '--queue', 'other', '--worker-id', 'utc'], { TZ: 'UTC' });
    await Promise.all([newYork, utc].map((worker) => worker.waitForOutput('started', START_MS)));

    // Scheduled an hour ahead by a process in each zone, for a worker in the other.
    const laterFromNewYork = rig.spawn([], { TZ: 'America/New_York', FAULT_MODE: 'later', FAULT_QUEUE: 'other' });
    await laterFromNewYork.waitForOutput('enqueued later', START_MS);
    expect(await laterFromNewYork.exited).toBe(0);
    const laterFromUtc = rig.spawn([], { TZ: 'UTC', FAULT_MODE: 'later', FAULT_QUEUE: 'default' });
    await laterFromUtc.waitForOutput('enqueued later', START_MS);
    expect(await laterFromUtc.exited).toBe(0);

    const long = [
      await t.tasks.enqueue(FaultTasks, 'work', [3 * LEASE]),
      await t.tasks.enqueue(FaultTasks, 'work', [3 * LEASE], { queueName: 'other' }),
    ];
    for (const result of long) await result.wait({ timeout: 30_000 });
    // A few more rescue rounds of both workers, in case a scheduled task was taken for due.
    await sleep(LEASE);
    newYork.child.kill('SIGTERM');
    utc.child.kill('SIGTERM');
    expect(await newYork.exited).toBe(0);
    expect(await utc.exited).toBe(0);

    const tasks = await allTasks(t);
    expect(tasks).toHaveLength(4);
    const starts = rig.starts();
    for (const result of long) {
      const task = tasks.find((row) => row.id === result.id)!;
      expect(task.status).toBe(TaskResultStatus.SUCCESSFUL);
      expect(task.errors).toEqual([]);
      expect(task.workerIds).toEqual([task.queueName === 'default' ? 'new-york' : 'utc']);
      expect(starts.get(task.id)).toBe(1);
    }
    const later = tasks.filter((task) => !long.some((result) => result.id === task.id));
    for (const task of later) {
      expect(task.status).toBe(TaskResultStatus.READY);
      expect(starts.get(task.id)).toBeUndefined();
      // The same instant however it was written and read.
      expect(Math.abs(task.runAfter.getTime() - task.enqueuedAt.getTime() - HOUR)).toBeLessThan(1_000);
      expect(Math.abs(task.runAfter.getTime() - (Date.now() + HOUR))).toBeLessThan(60_000);
      const fetched = await t.tasks.getResult(task.id);
      expect(fetched.runAfter.getTime()).toBe(task.runAfter.getTime());
    }
    report({ fault: 'workers in America/New_York and UTC', tasks: 4, rescued: 0, ms: Date.now() - started });
  }, 4 * START_MS);
});
