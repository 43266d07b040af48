import { DataSource } from 'typeorm';
import { TASKS_MIGRATIONS, TaskResultStatus } from '../../src';
import { newTaskId } from '../../src/task-id';
import { createTestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { SampleTasks } from '../fixtures/sample-tasks';

/**
 * A database created by the first version of the package keeps its tasks through the
 * migrations that came after it, and they run as before.
 */
describe('upgrading a database made by the first migration', () => {
  let db: TestDatabase;

  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await db.cleanup();
  });

  it('keeps every task and its id, and the tasks still run', async () => {
    const ids = [newTaskId(), newTaskId()];
    const first = await new DataSource({ ...db.options, migrations: TASKS_MIGRATIONS }).initialize();
    try {
      // Back to what the first release left (undoing every later migration), with two tasks in it.
      for (let i = 1; i < TASKS_MIGRATIONS.length; i++) await first.undoLastMigration();
      // Plain SQL: the entity of today has columns the first release's table has not.
      for (const [i, id] of ids.entries()) {
        await first.query(`INSERT INTO task_results (id, task_name, status, queue_name, priority, args, kwargs, backend, run_after,
                             enqueued_at, max_attempts, errors, worker_ids)
                           VALUES ('${id}', 'SampleTasks.add', '${TaskResultStatus.READY}', 'default', 0, '[${i}, 10]', '{}', 'database',
                             '2000-01-01 00:00:00.000', '2000-01-01 00:00:00.000', 1, '[]', '[]')`);
      }
      expect((await first.runMigrations()).map((migration) => migration.name)).toEqual(TASKS_MIGRATIONS.slice(1).map((Migration) => new Migration().name));
    } finally {
      await first.destroy();
    }
    const t = await createTestApp(db, [SampleTasks]);
    try {
      await t.worker.run({ batch: true });
      expect((await t.tasks.getResult<number>(ids[0])).returnValue).toBe(10);
      expect((await t.tasks.getResult<number>(ids[1])).returnValue).toBe(11);
    } finally {
      await t.close();
    }
  });
});
