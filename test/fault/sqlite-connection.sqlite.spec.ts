import Database from 'better-sqlite3';
import { DataSource } from 'typeorm';
import { TaskResult, TaskResultStatus, TASKS_MIGRATIONS, TasksError } from '../../src';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { SampleTasks } from '../fixtures/sample-tasks';
import { BetterSqlite3Connection } from '../../src/dialects/sqlite/better-sqlite3.connection';

/** What only SQLite has: synchronous statements on the event loop, and in-memory databases. */
describe('SQLite: the event loop and the shared connection', () => {
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

  it('prune() of 300 000 rows yields to the event loop between batches', async () => {
    const rows = 300_000;
    await t.app.get(DataSource).query(`
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows})
      INSERT INTO task_results (id, task_name, status, queue_name, priority, args, kwargs, backend, run_after, enqueued_at,
                                finished_at, max_attempts, attempt, errors, worker_ids, cancel_requested)
      SELECT printf('%08d-0000-7000-8000-000000000000', i), 'SampleTasks.add', 'SUCCESSFUL', 'default', 0, '[]', '{}', 'database',
             '2020-01-01 00:00:00.000', '2020-01-01 00:00:00.000', '2020-01-01 00:00:01.000', 1, 1, '[]', '[]', 0
        FROM n`);
    let last = performance.now();
    let longestGap = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
    }, 5);
    try {
      expect(await t.tasks.prune({ olderThan: 0 })).toBe(rows);
    } finally {
      clearInterval(ticker);
    }
    longestGap = Math.max(longestGap, performance.now() - last);
    // One batch of 1000 rows takes milliseconds; the whole prune took far longer than this.
    expect(longestGap).toBeLessThan(250);
  });

  it('a connection the library opens itself keeps a page cache of 2 MB, not the driver build\'s 16 MB', async () => {
    const file = db.describe().database;
    const own = BetterSqlite3Connection.open(Database, file);
    const plain = new Database(file);
    try {
      expect(await own.get('PRAGMA cache_size')).toEqual({ cache_size: -2000 });
      expect(plain.pragma('cache_size', { simple: true })).toBe(-16000);
    } finally {
      plain.close();
      await own.close();
    }
  });

  it('a worker refuses an in-memory database; enqueue and reads still work on it', async () => {
    const memory = await createTestApp({
      options: { type: 'better-sqlite3', database: ':memory:', entities: [TaskResult], migrations: TASKS_MIGRATIONS, migrationsRun: true },
      describe: () => ({ type: 'sqlite', database: ':memory:' }),
      cleanup: async () => undefined,
    }, [SampleTasks]);
    try {
      const task = await memory.tasks.enqueue(SampleTasks, 'add', [1, 2]);
      expect((await memory.tasks.getResult(task.id)).status).toBe(TaskResultStatus.READY);
      await expect(memory.worker.run({ batch: true })).rejects.toThrow(TasksError);
      await expect(memory.worker.run({ batch: true })).rejects.toThrow(/in-memory SQLite database/);
      expect((await memory.tasks.getResult(task.id)).status).toBe(TaskResultStatus.READY);
    } finally {
      await memory.close();
    }
  });
});
