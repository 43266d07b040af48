import * as sqlite3 from 'sqlite3';
import { DataSource, DataSourceOptions } from 'typeorm';
import { TaskResult, TaskResultStatus, TasksError } from '../../src';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, dataSourceOptions, TestDatabase } from '../support/test-database';
import { SampleTasks } from '../fixtures/sample-tasks';

/** What only the sqlite3 driver (TypeORM 0.3 `type: 'sqlite'`) needs: its busy handling and its in-memory databases. */
describe('sqlite3: the application’s connection and in-memory databases', () => {
  let db: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db, [SampleTasks]);
  });
  afterAll(async () => {
    await t.close();
    await db.cleanup();
  });

  /** An application on an in-memory database, which exists only on its TypeORM connection. */
  const memoryApp = () => createTestApp({
    options: { ...dataSourceOptions('sqlite3', ':memory:'), migrationsRun: true } as DataSourceOptions,
    describe: () => ({ type: 'sqlite3', database: ':memory:' }),
    cleanup: async () => undefined,
  }, [SampleTasks]);

  it('an enqueue inside the application’s transaction waits while another process writes, instead of failing with SQLITE_BUSY', async () => {
    const { database } = db.describe();
    const other = await new Promise<sqlite3.Database>((resolve, reject) => {
      const opened = new sqlite3.Database(database, (error) => (error ? reject(error) : resolve(opened)));
    });
    const exec = (sql: string) => new Promise<void>((resolve, reject) => other.exec(sql, (error) => (error ? reject(error) : resolve())));
    try {
      await exec('BEGIN IMMEDIATE');
      const enqueued = t.app.get(DataSource).transaction((manager) => t.tasks.enqueue(SampleTasks, 'add', [1, 2], { manager }));
      // Longer than the driver's default busy timeout (1 s), after which the INSERT would fail.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await exec('COMMIT');
      const task = await enqueued;
      expect((await t.tasks.getResult(task.id)).status).toBe(TaskResultStatus.READY);
    } finally {
      await new Promise<void>((resolve) => other.close(() => resolve()));
    }
  });

  it('a worker refuses an in-memory database; enqueue and reads still work on it', async () => {
    const memory = await memoryApp();
    try {
      const [first, second] = await memory.tasks.enqueueMany(SampleTasks, 'add', [[1, 2], [3, 4]]);
      expect((await memory.tasks.getResult(first.id)).status).toBe(TaskResultStatus.READY);
      // Cancelling is an immediate transaction on the application's one connection.
      expect((await memory.tasks.cancel(second.id)).status).toBe(TaskResultStatus.CANCELLED);
      await expect(memory.worker.run({ batch: true })).rejects.toThrow(TasksError);
      await expect(memory.worker.run({ batch: true })).rejects.toThrow(/in-memory SQLite database/);
      expect((await memory.tasks.getResult(first.id)).status).toBe(TaskResultStatus.READY);
    } finally {
      await memory.close();
    }
  });

  it('an enqueue made while the application has a transaction open on the in-memory connection waits for its end', async () => {
    const memory = await memoryApp();
    try {
      const dataSource = memory.app.get(DataSource);
      let outside: Promise<TaskResult> | undefined;
      await expect(dataSource.transaction(async (manager) => {
        await memory.tasks.enqueue(SampleTasks, 'add', [0, 0], { manager });
        outside = memory.tasks.enqueue(SampleTasks, 'add', [1, 1]);
        await new Promise((resolve) => setTimeout(resolve, 100));
        throw new Error('the application rolls back');
      })).rejects.toThrow('the application rolls back');
      // Not part of the rolled-back transaction: it began after that one ended.
      const kept = await outside!;
      expect((await memory.tasks.getResult(kept.id)).status).toBe(TaskResultStatus.READY);
      expect(await dataSource.query('SELECT count(*) AS n FROM task_results')).toEqual([{ n: 1 }]);
    } finally {
      await memory.close();
    }
  });
});
