import type { Client, Notification } from 'pg';
import { DataSource } from 'typeorm';
import { TaskResultNotFoundError, TaskResultStatus } from '../../src';
import { TaskEvents } from '../../src/task.events';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase, TEST_DB } from '../support/test-database';
import { SampleTasks } from '../fixtures/sample-tasks';
import { waitUntil } from '../support/wait-until';

const countRows = async (dataSource: DataSource) =>
  Number((await dataSource.query('SELECT COUNT(*) AS n FROM task_results'))[0].n);

/** `enqueue(…, { manager })` belongs to the caller's transaction: its row, and its wake-up. */
describe('transactional enqueue', () => {
  let db: TestDatabase;
  let t: TestApp;
  let dataSource: DataSource;
  let wakeUps: (string | null)[];
  let notifications: Notification[];
  let listener: Client | undefined;

  beforeEach(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db, [SampleTasks]);
    dataSource = t.app.get(DataSource);
    SampleTasks.calls = [];
    wakeUps = [];
    t.app.get(TaskEvents).onEnqueued((queue) => wakeUps.push(queue));
    notifications = [];
    if (TEST_DB === 'postgres') {
      // What workers of other processes hear.
      const pool = (dataSource.driver as unknown as { master: { Client: new (options: object) => Client; options: object } }).master;
      listener = new pool.Client(pool.options);
      await listener.connect();
      listener.on('notification', (notification) => notifications.push(notification));
      await listener.query('LISTEN nestjs_tasks');
    }
  });
  afterEach(async () => {
    await listener?.end();
    listener = undefined;
    await t.close();
    await db.cleanup();
  });

  /** Lets a NOTIFY that was sent reach the listener before asserting that none was. */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 150));

  it('rolled back: no row, no wake-up, nothing to run', async () => {
    let id = '';
    await expect(dataSource.transaction(async (manager) => {
      const result = await t.tasks.enqueue(SampleTasks, 'record', ['rolled back'], { manager });
      id = result.id;
      expect(result.status).toBe(TaskResultStatus.READY);
      await t.tasks.enqueueMany(SampleTasks, 'add', [[1, 2], [3, 4]], { manager });
      throw new Error('rollback');
    })).rejects.toThrow('rollback');

    expect(id).not.toBe('');
    await expect(t.tasks.getResult(id)).rejects.toThrow(TaskResultNotFoundError);
    expect(await countRows(dataSource)).toBe(0);
    await settle();
    expect(wakeUps).toEqual([]);
    expect(notifications).toEqual([]);
    expect(await t.worker.run({ batch: true })).toMatchObject({ claimed: 0 });
    expect(SampleTasks.calls).toEqual([]);
  });

  it('committed: invisible until the commit, then visible and run by a waiting worker', async () => {
    // A long poll interval: only the wake-up after the commit can start the task in time.
    const running = t.worker.run({ pollInterval: 60_000 });
    // The worker records itself in the registry: on SQLite that commit reaches the commit watch,
    // a wake-up of its own, before the transaction below begins.
    await waitUntil(async () => (await t.tasks.listWorkers()).length === 1, 10_000, 'the worker registered');
    await settle();
    wakeUps.length = 0;
    let id = '';
    await dataSource.transaction(async (manager) => {
      const result = await t.tasks.enqueue(SampleTasks, 'record', ['committed'], { manager });
      id = result.id;
      const many = await t.tasks.enqueueMany(SampleTasks, 'add', [[1, 2], [3, 4]], { manager });
      expect(many).toHaveLength(2);
      // Outside the transaction nothing exists yet (SQLite: another connection, which waits for the lock
      // only to write).
      await expect(t.tasks.getResult(id)).rejects.toThrow(TaskResultNotFoundError);
      await settle();
      expect(wakeUps).toEqual([]);
      expect(notifications).toEqual([]);
      expect(SampleTasks.calls).toEqual([]);
    });

    const result = await t.tasks.getResult<string>(id);
    await expect(result.wait({ timeout: 5_000 })).resolves.toBe('committed');
    await settle();
    expect(wakeUps).toContain('default');
    if (TEST_DB === 'postgres') {
      expect(notifications.map((notification) => notification.payload)).toEqual(['default']);
    }
    await t.worker.stop();
    await running;
    expect(SampleTasks.calls.map((call) => call.name).sort()).toEqual(['add', 'add', 'record']);
    expect(await countRows(dataSource)).toBe(3);
  });

  it('a task enqueued in a transaction that also writes application rows commits with them', async () => {
    await dataSource.query('DROP TABLE IF EXISTS tx_orders');
    await dataSource.query('CREATE TABLE tx_orders (id varchar(36) PRIMARY KEY, task_id varchar(36) NOT NULL)');
    try {
      const taskId = await dataSource.transaction(async (manager) => {
        const result = await t.tasks.enqueue(SampleTasks, 'add', [20, 22], { manager });
        await manager.query(`INSERT INTO tx_orders (id, task_id) VALUES ('order-1', '${result.id}')`);
        return result.id;
      });
      const [order] = await dataSource.query(`SELECT task_id FROM tx_orders WHERE id = 'order-1'`);
      expect(order.task_id).toBe(taskId);
      await t.worker.run({ batch: true });
      expect((await t.tasks.getResult(taskId)).returnValue).toBe(42);
    } finally {
      await dataSource.query('DROP TABLE IF EXISTS tx_orders');
    }
  });
});
