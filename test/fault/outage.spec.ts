import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { TASK_BACKEND, TaskResultStatus } from '../../src';
import { DatabaseBackend } from '../../src/backends/database.backend';
import type { TestApp } from '../support/test-app';
import { TEST_DB, TestDatabase, TEST_ENGINE } from '../support/test-database';
import { FaultTasks } from '../fixtures/fault-app';
import { allTasks, countByStatus, expectAll, FaultRig, lockErrors, report, sleep, waitFor, openFaultEnvironment, closeFaultEnvironment } from './fault-support';

/**
 * The database goes away under load (PostgreSQL restarted, connections killed) or is contended
 * (one SQLite file, three processes): every task still finishes, once.
 */
describe('fault: database outages and contention', () => {
  let db: TestDatabase;
  let t: TestApp;
  let rig: FaultRig;

  beforeEach(async () => ({ db, t, rig } = await openFaultEnvironment()));
  afterEach(() => closeFaultEnvironment({ db, t, rig }));

  /** Every task SUCCESSFUL; a task started twice only where a rescue recorded why. Counts reruns and lost attempts. */
  async function expectEachDoneOnce(total: number): Promise<{ duplicates: number; lostAttempts: number }> {
    const tasks = await allTasks(t);
    expect(tasks).toHaveLength(total);
    expectAll(tasks, TaskResultStatus.SUCCESSFUL);
    const starts = rig.starts();
    let duplicates = 0;
    let lostAttempts = 0;
    for (const task of tasks) {
      const runs = starts.get(task.id) ?? 0;
      const lost = task.errors.filter((error) => error.name === 'WorkerLostError').length;
      expect(runs).toBeGreaterThanOrEqual(1);
      duplicates += runs - 1;
      lostAttempts += lost;
      // Every attempt but the last was lost, and only a lost attempt may have run in vain; a lost
      // attempt need not have run at all (a claim whose answer died with its connection).
      expect(task.attempts).toBe(lost + 1);
      expect(runs).toBeLessThanOrEqual(task.attempts);
    }
    return { duplicates, lostAttempts };
  }

  it('an outcome write that loses its connection is written again, not taken for a refused value', async () => {
    const dialect = (t.app.get(TASK_BACKEND) as DatabaseBackend).dialect;
    const drops = [
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
      new Error('Connection terminated unexpectedly'),
      Object.assign(new Error('Connection lost: The server closed the connection.'), { code: 'PROTOCOL_CONNECTION_LOST', fatal: true }),
    ];
    for (const dropped of drops) {
      // The next statement, on a fresh connection, would go through.
      const finish = jest.spyOn(dialect, 'finish').mockRejectedValueOnce(dropped);
      const task = await t.tasks.enqueue(FaultTasks, 'work', [1]);
      await t.worker.run({ batch: true });
      expect(finish.mock.calls.length).toBeGreaterThanOrEqual(2);
      finish.mockRestore();
      await task.refresh();
      expect({ error: dropped.message, status: task.status, errors: task.errors }).toEqual({ error: dropped.message, status: TaskResultStatus.SUCCESSFUL, errors: [] });
      expect(task.returnValue).toBe(`done ${task.id}`);
    }
  });

  if (TEST_ENGINE === 'sqlite') {
    it('one SQLite file, an API process and two workers under load: no SQLITE_BUSY, every task done once', async () => {
      const started = Date.now();
      const total = 3_000;
      const idsFile = join(rig.dir, 'ids.txt');
      const flags = ['--concurrency', '8', '--interval', '20'];
      const workers = [rig.spawn(flags), rig.spawn(flags)];
      const api = rig.spawn([], { FAULT_MODE: 'enqueuer', FAULT_ENQUEUE: String(total), FAULT_TASK_MS: '2', FAULT_IDS_FILE: idsFile });
      expect(await api.exited).toBe(0);
      workers.forEach((worker) => worker.child.kill('SIGTERM'));
      expect(await Promise.all(workers.map((worker) => worker.exited))).toEqual([0, 0]);

      expect(lockErrors(rig.outputs())).toEqual([]);
      expect(rig.outputs()).not.toMatch(/ERROR|Could not|no attempt here holds it|Lost the lease/);
      const ids = readFileSync(idsFile, 'utf8').split('\n');
      expect(new Set(ids).size).toBe(total);
      const { duplicates, lostAttempts } = await expectEachDoneOnce(total);
      expect(duplicates).toBe(0);
      expect(lostAttempts).toBe(0);
      // Both workers took part.
      expect(new Set(rig.runs().map((run) => run.pid)).size).toBe(2);
      report({ fault: 'SQLite: enqueuer + 2 workers on one file', tasks: total, lost: 0, duplicates, lostAttempts, lockErrors: 0, ms: Date.now() - started });
    });
  }

  if (TEST_DB === 'postgres') {
    const cluster = readdirSync('/etc/postgresql')[0];
    const pgctl = (action: string) =>
      execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', cluster, 'main', action, ...(action === 'stop' ? ['-m', 'fast'] : [])], { stdio: 'pipe' });
    const pgIsUp = () => {
      try {
        execFileSync('pg_isready', ['-h', '127.0.0.1', '-p', '5432'], { stdio: 'pipe' });
        return true;
      } catch {
        return false;
      }
    };

    afterEach(() => {
      // Whatever happened in the test, the server others share is left running.
      if (!pgIsUp()) pgctl('start');
    });

    it('PostgreSQL restarted under a 2 000-task load: workers back off, reconnect, and every task finishes once', async () => {
      const started = Date.now();
      const total = 2_000;
      // A long poll interval: after the restart, only a re-established LISTEN wakes the workers quickly.
      const flags = ['--concurrency', '20', '--lease-duration', '15000', '--interval', '10000'];
      const workers = [rig.spawn(flags), rig.spawn(flags)];
      await Promise.all(workers.map((worker) => worker.waitForOutput('started')));
      for (let i = 0; i < total; i += 500) {
        await t.tasks.enqueueMany(FaultTasks, 'work', Array.from({ length: 500 }, () => [100] as [number]));
      }
      await waitFor(async () => ((await countByStatus(t)).SUCCESSFUL ?? 0) >= 300, 30_000, '300 tasks done');
      const doneBefore = (await countByStatus(t)).SUCCESSFUL;
      // The restart hits the middle of the load, not its tail.
      expect(doneBefore).toBeLessThan(total / 2);

      const down = Date.now();
      try {
        pgctl('stop');
        await sleep(1_000);
      } finally {
        pgctl('start');
      }
      const downtimeMs = Date.now() - down;
      await waitFor(async () => ((await countByStatus(t)).SUCCESSFUL ?? 0) === total, 90_000, 'all tasks SUCCESSFUL');
      const recoveredMs = Date.now() - down;

      // Idle now: a new task is picked up at once only if the workers listen again.
      const probe = await t.tasks.enqueue(FaultTasks, 'work', [1]);
      const probed = Date.now();
      expect(await probe.wait({ timeout: 20_000 })).toBe(`done ${probe.id}`);
      const wakeMs = Date.now() - probed;
      expect(wakeMs).toBeLessThan(3_000);

      workers.forEach((worker) => worker.child.kill('SIGTERM'));
      expect(await Promise.all(workers.map((worker) => worker.exited))).toEqual([0, 0]);
      // The outage was seen, and survived.
      expect(rig.outputs()).toMatch(/Could not|terminat|ECONNREFUSED|connect/i);
      const { duplicates, lostAttempts } = await expectEachDoneOnce(total + 1);
      report({ fault: 'PostgreSQL restart under load', tasks: total + 1, lost: 0, duplicates, lostAttempts, doneBefore, downtimeMs, recoveredMs, wakeAfterMs: wakeMs, ms: Date.now() - started });
    });
  }

  if (TEST_DB === 'postgres' || TEST_DB === 'mysql') {
    it('connections dropped again and again under load: every task finishes once', async () => {
      const started = Date.now();
      const total = 1_000;
      const flags = ['--concurrency', '10', '--lease-duration', '10000', '--interval', '200'];
      const workers = [rig.spawn(flags), rig.spawn(flags)];
      await Promise.all(workers.map((worker) => worker.waitForOutput('started')));
      await t.tasks.enqueueMany(FaultTasks, 'work', Array.from({ length: total }, () => [100] as [number]));
      await waitFor(async () => ((await countByStatus(t)).SUCCESSFUL ?? 0) >= 100, 30_000, '100 tasks done');

      const dataSource = t.app.get(DataSource);
      let killed = 0;
      for (let round = 0; round < 8; round++) {
        killed += await dropOtherConnections(dataSource);
        await sleep(400);
      }
      const doneAfterKills = (await countByStatus(t)).SUCCESSFUL ?? 0;
      // The kills came while there was work left.
      expect(doneAfterKills).toBeLessThan(total);
      await waitFor(async () => ((await countByStatus(t)).SUCCESSFUL ?? 0) === total, 60_000, 'all tasks SUCCESSFUL');
      workers.forEach((worker) => worker.child.kill('SIGTERM'));
      expect(await Promise.all(workers.map((worker) => worker.exited))).toEqual([0, 0]);
      expect(killed).toBeGreaterThan(0);
      const { duplicates, lostAttempts } = await expectEachDoneOnce(total);
      report({ fault: 'connections killed x8 under load', tasks: total, lost: 0, duplicates, lostAttempts, killed, doneAfterKills, ms: Date.now() - started });
    });
  }
});

/** Kills every other connection to this test's database; returns how many. */
async function dropOtherConnections(dataSource: DataSource): Promise<number> {
  try {
    if (TEST_DB === 'postgres') {
      const rows: unknown[] = await dataSource.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
      return rows.length;
    }
    const rows: { id: number }[] = await dataSource.query(
      'SELECT id FROM information_schema.processlist WHERE db = DATABASE() AND id <> CONNECTION_ID()');
    for (const row of rows) await dataSource.query(`KILL ${Number(row.id)}`).catch(() => undefined);
    return rows.length;
  } catch {
    // The connection running this was itself one another round killed.
    return 0;
  }
}
