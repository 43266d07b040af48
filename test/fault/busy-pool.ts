import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Task, TaskResultStatus, TaskService } from '../../src';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase, TEST_DB } from '../support/test-database';
import { allTasks, report } from './fault-support';

const LEASE = 2_000;
const HOLD_SECONDS = 3;

/** Tasks that keep one connection of the application's pool busy for longer than a lease. */
@Injectable()
class PoolHogTasks {
  static runs = new Map<string, number>();

  constructor(private readonly dataSource: DataSource, private readonly tasks: TaskService) {}

  @Task({ maxAttempts: 3, backoff: 0 })
  async hold(seconds: number): Promise<string> {
    const { id } = this.tasks.context().taskResult;
    PoolHogTasks.runs.set(id, (PoolHogTasks.runs.get(id) ?? 0) + 1);
    await this.dataSource.query(TEST_DB === 'postgres' ? 'SELECT pg_sleep($1)' : 'SELECT SLEEP(?)', [seconds]);
    return 'held';
  }
}

/**
 * Lease renewals and rescues must not queue behind the tasks' own queries: with the
 * application's pool smaller than the worker's concurrency and every connection busy in a task
 * for longer than a lease, no lease may expire while its task runs.
 */
export function describeBusyPool(pool: Record<string, number>): void {
  describe('fault: the application\'s pool busy in tasks', () => {
    let db: TestDatabase;
    let busy: TestApp;
    let rescuer: TestApp;

    beforeEach(async () => {
      db = await createTestDatabase();
      busy = await createTestApp({ ...db, options: { ...db.options, extra: pool } }, [PoolHogTasks]);
      rescuer = await createTestApp(db, [PoolHogTasks]);
      PoolHogTasks.runs.clear();
    });
    afterEach(async () => {
      await busy.close();
      await rescuer.close();
      await db.cleanup();
    });

    it('leases are renewed on a connection of their own: nothing is rescued, each task runs once', async () => {
      const started = Date.now();
      const results = await busy.tasks.enqueueMany(PoolHogTasks, 'hold', Array.from({ length: 4 }, () => [HOLD_SECONDS] as [number]));
      // Another worker, with connections to spare, rescues whatever lease expires.
      const rescuing = rescuer.worker.run({ queues: ['idle'], leaseDuration: LEASE, pollInterval: 100, workerId: 'rescuer' });
      await busy.worker.run({ batch: true, concurrency: 4, leaseDuration: LEASE, pollInterval: 100, workerId: 'busy' });
      await rescuer.worker.stop();
      await rescuing;

      const tasks = await allTasks(rescuer);
      expect(tasks).toHaveLength(results.length);
      for (const task of tasks) {
        expect(task.errors).toEqual([]);
        expect(task.status).toBe(TaskResultStatus.SUCCESSFUL);
        expect(task.workerIds).toEqual(['busy']);
        expect(PoolHogTasks.runs.get(task.id)).toBe(1);
      }
      report({ fault: `pool of ${Object.values(pool)[0]} busy in 4 tasks of ${HOLD_SECONDS} s, lease ${LEASE} ms`, tasks: 4, rescued: 0, ms: Date.now() - started });
    });
  });
}
