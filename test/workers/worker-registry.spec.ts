import { hostname } from 'node:os';
import { DataSource } from 'typeorm';
import { TaskWorkerInfo } from '../../src';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { killWorkers, spawnWorker, WORKER_START_MS } from '../support/worker-process';
import { ProcessTasks } from '../fixtures/worker-app';
import { waitUntil } from '../support/wait-until';

const HEARTBEAT_MS = 300;

/** The worker registry: real worker processes record themselves, beat, expire when killed, leave when stopped. */
describe('worker registry', () => {
  let db: TestDatabase;
  let t: TestApp;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db, [ProcessTasks]);
    dataSource = t.app.get(DataSource);
  });
  afterAll(async () => {
    await killWorkers();
    await t.close();
    await db.cleanup();
  });

  const rows = async () => (await dataSource.query('SELECT id FROM task_workers ORDER BY id')).map((row: { id: string }) => row.id);
  const byId = async () => new Map((await t.tasks.listWorkers()).map((worker): [string, TaskWorkerInfo] => [worker.id, worker]));

  it('records a worker of this process while it runs and removes it when it stops', async () => {
    const run = t.worker.run({ workerId: 'in-process', queues: ['q0'], concurrency: 4, heartbeatInterval: HEARTBEAT_MS });
    await waitUntil(async () => (await byId()).has('in-process'), 10_000, 'the worker registered');
    const info = (await byId()).get('in-process')!;
    expect(info).toMatchObject({ host: hostname(), pid: process.pid, queues: ['q0'], concurrency: 4, running: 0 });
    expect(info.lastHeartbeatAt.getTime()).toBeGreaterThanOrEqual(info.startedAt.getTime());
    expect(info.expiresAt.getTime() - info.lastHeartbeatAt.getTime()).toBe(3 * HEARTBEAT_MS);
    await waitUntil(async () => (await byId()).get('in-process')!.lastHeartbeatAt > info.lastHeartbeatAt, 5_000, 'a second heartbeat');
    await t.worker.stop();
    await run;
    expect(await rows()).toEqual([]);
  });

  it('lists two worker processes with their fields; a SIGKILLed one expires, a stopped one leaves', async () => {
    const flags = ['--heartbeat-interval', String(HEARTBEAT_MS), '--no-scheduler'];
    const one = spawnWorker(db, ['--worker-id', 'proc-one', '--queue', 'p1', '--concurrency', '2', ...flags]);
    const two = spawnWorker(db, ['--worker-id', 'proc-two', '--queue', 'p2,p3', '--concurrency', '5', ...flags]);
    await waitUntil(async () => (await byId()).size === 2, WORKER_START_MS, 'both workers registered');
    const workers = await byId();
    expect(workers.get('proc-one')).toMatchObject({ host: hostname(), pid: one.child.pid, queues: ['p1'], concurrency: 2 });
    expect(workers.get('proc-two')).toMatchObject({ host: hostname(), pid: two.child.pid, queues: ['p2', 'p3'], concurrency: 5 });

    // A running task shows in the next heartbeat.
    const task = await t.tasks.enqueue(ProcessTasks, 'sleep', [1_500], { queueName: 'p2' });
    await waitUntil(async () => (await byId()).get('proc-two')?.running === 1, 10_000, 'the running task in a heartbeat');
    await task.wait({ timeout: 10_000 });

    one.child.kill('SIGKILL');
    await one.exited;
    expect(await rows()).toContain('proc-one');
    // proc-two's heartbeat deletes proc-one's row once three of its intervals pass without a heartbeat.
    await waitUntil(async () => !(await rows()).includes('proc-one'), 10_000, 'the killed worker expired');
    expect([...(await byId()).keys()]).toEqual(['proc-two']);

    two.child.kill('SIGTERM');
    expect(await two.exited).toBe(0);
    expect(await rows()).toEqual([]);
  });
});
