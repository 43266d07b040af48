import { Injectable } from '@nestjs/common';
import { Task, TaskResultStatus } from '../../src';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { allTasks } from './fault-support';

const LEASE_MS = 300;

@Injectable()
class StallingTasks {
  /**
   * Holds the event loop past the lease, as a starved process or a synchronous task does, a few
   * times over: between stalls the worker's timers run, all of them overdue.
   */
  @Task()
  async stall(ms: number, times: number): Promise<number> {
    for (let i = 0; i < times; i++) {
      const end = Date.now() + ms;
      while (Date.now() < end);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    return ms;
  }
}

/**
 * Defect: a worker whose event loop stalled past its lease could, when its timers fired, rescue
 * its own attempts before renewing them: each attempt it held ended in a WorkerLostError naming
 * the very worker that was about to finish it (or, with attempts left, ran again).
 */
describe('fault: a worker stalled past its lease', () => {
  let db: TestDatabase;
  let t: TestApp;

  beforeEach(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db, [StallingTasks]);
  });
  afterEach(async () => {
    await t.close();
    await db.cleanup();
  });

  it('renews before it rescues: it keeps the attempts it holds, each run once', async () => {
    const tasks = await t.tasks.enqueueMany(StallingTasks, 'stall', Array.from({ length: 2 }, (): [number, number] => [LEASE_MS + 200, 3]));
    await t.worker.run({ batch: true, concurrency: 1, leaseDuration: LEASE_MS, pollInterval: 20 });
    const rows = await allTasks(t);
    expect(rows).toHaveLength(tasks.length);
    for (const row of rows) {
      expect({ id: row.id, status: row.status, errors: row.errors, attempts: row.attempts })
        .toEqual({ id: row.id, status: TaskResultStatus.SUCCESSFUL, errors: [], attempts: 1 });
    }
  });
});
