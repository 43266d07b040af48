import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Task, TASK_BACKEND } from '../../src';
import type { DatabaseBackend } from '../../src/backends/database.backend';
import type { TaskDialect } from '../../src/dialects/task-dialect.interface';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase, TEST_DB } from '../support/test-database';

@Injectable()
class QueueTasks {
  @Task({ name: 'queued.noop' })
  noop(_n: number): void {}
}

const QUEUES = ['alpha', 'beta', 'gamma', 'delta'];
const PER_QUEUE = 5_000;

/**
 * A worker of several queues, or of every queue ('*'), claims in the global order
 * (priority DESC, runAfter, id) although the claim index is ordered within one queue only,
 * and without sorting the whole backlog.
 */
describe(`claim across queues (${TEST_DB})`, () => {
  let db: TestDatabase;
  let t: TestApp;
  let dialect: TaskDialect;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db, [QueueTasks]);
    dialect = (t.app.get(TASK_BACKEND) as DatabaseBackend).dialect;
    dataSource = t.app.get(DataSource);
    const base = Date.now() - 60_000;
    for (const [index, queueName] of QUEUES.entries()) {
      // The backlog: big blocks per queue, due later.
      for (const [block, priority] of [0, 5, -5, 0].entries()) {
        await t.tasks.enqueueMany('queued.noop', Array.from({ length: PER_QUEUE / 4 }, (_, i) => [i]), {
          queueName, priority, runAfter: new Date(base + 10_000 + block * 100 + index),
        });
      }
      // The head: small batches whose times and priorities interleave across queues, so a merge
      // in the wrong order shows.
      for (let batch = 0; batch < 40; batch++) {
        await t.tasks.enqueueMany('queued.noop', Array.from({ length: 5 }, (_, i) => [i]), {
          queueName, priority: batch % 2 === 0 ? 0 : 5, runAfter: new Date(base + batch * 4 + index),
        });
      }
    }
    if (TEST_DB === 'postgres') await dataSource.query('ANALYZE task_results');
    if (TEST_DB === 'mysql') await dataSource.query('ANALYZE TABLE task_results');
  });
  afterAll(async () => {
    await t.close();
    await db.cleanup();
  });

  /** What a full sort of the due READY rows of `queues` says comes next. */
  const expected = async (queues: string[] | null, limit: number) => {
    const filter = queues ? `AND queue_name IN (${queues.map((queue) => `'${queue}'`).join(', ')})` : '';
    const rows: { id: string }[] = await dataSource.query(
      `SELECT id FROM task_results WHERE status = 'READY' ${filter} ORDER BY priority DESC, run_after, id LIMIT ${limit}`);
    return rows.map((row) => row.id);
  };

  for (const queues of [['beta'], ['alpha', 'gamma'], ['alpha', 'beta', 'gamma', 'delta', 'missing'], null]) {
    it(`claims ${queues ? queues.join(', ') : "'*'"} in the global order`, async () => {
      for (let round = 0; round < 3; round++) {
        const want = await expected(queues, 25);
        const started = performance.now();
        const claimed = await dialect.claim({ workerId: 'order-check', queues, limit: 25, leaseMs: 60_000 });
        const ms = performance.now() - started;
        expect(claimed.map((task) => task.id)).toEqual(want);
        // A sort of the whole backlog takes tens to hundreds of ms here; generous for a loaded machine.
        expect(ms).toBeLessThan(250);
      }
    });
  }
});
