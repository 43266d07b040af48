import { call, TaskResultStatus } from '../../src';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { killWorkers } from '../support/worker-process';
import { waitUntil } from '../support/wait-until';
import { OperationTasks } from '../fixtures/operation-tasks';
import { runCommand } from './cli-support';

const { READY, FAILED, CANCELLED } = TaskResultStatus;

/** Every command of the worker entry's command line, run as a real process, output parsed. */
describe('command line', () => {
  let db: TestDatabase;
  let t: TestApp;
  let failedIds: string[];

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db, [OperationTasks]);
    OperationTasks.failing = new Set(['cli']);
    failedIds = (await t.tasks.enqueueMany(OperationTasks, 'flaky', Array.from({ length: 30 }, () => ['cli'] as [string]), { queueName: 'cli' }))
      .map((result) => result.id);
    await t.worker.run({ batch: true, queues: ['cli'] });
    await t.tasks.schedule('nightly', call(OperationTasks, 'flaky', ['night']), { cron: '0 3 * * *' });
  });
  afterAll(async () => {
    await killWorkers();
    await t.close();
    await db.cleanup();
  });

  it('prints usage for --help (0) and refuses bad flags and arguments (2), starting nothing', async () => {
    const [help, listHelp, badStatus, badLimit, bare, noId, unknownFlag] = await Promise.all([
      runCommand(db, ['--help']),
      runCommand(db, ['list', '--help']),
      runCommand(db, ['list', '--status', 'BOGUS']),
      runCommand(db, ['list', '--limit', 'lots']),
      runCommand(db, ['retry']),
      runCommand(db, ['show']),
      runCommand(db, ['workers', '--colour']),
    ]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Commands');
    expect(help.stdout).toMatch(/retry \[id\]\s+run a FAILED or CANCELLED task again/);
    expect(help.stdout).toContain('--concurrency N');
    expect(listHelp.code).toBe(0);
    expect(listHelp.stdout).toMatch(/Usage: .* list \[options\]/);
    expect(listHelp.stdout).toContain('--status <statuses>');
    expect([badStatus.code, badLimit.code, bare.code, noId.code, unknownFlag.code]).toEqual([2, 2, 2, 2, 2]);
    expect(badStatus.stderr).toContain('"BOGUS" is not a status');
    expect(badLimit.stderr).toContain('--limit');
    expect(bare.stderr).toContain('--all');
    expect(noId.stderr).toContain("missing required argument 'id'");
    expect(unknownFlag.stderr).toContain("unknown option '--colour'");
  });

  it('status, list, show, schedules and workers answer JSON on stdout', async () => {
    const run = t.worker.run({ workerId: 'cli-observed', queues: ['idle'], heartbeatInterval: 300 });
    try {
      await waitUntil(async () => (await t.tasks.listWorkers()).length === 1, 10_000, 'the worker registered');
      const [status, list, show, missing, schedules, workers] = await Promise.all([
        runCommand(db, ['status', '--json']),
        runCommand(db, ['list', '--status', 'failed', '--queue', 'cli', '--limit', '5', '--json']),
        runCommand(db, ['show', failedIds[0], '--json']),
        runCommand(db, ['show', '0193a5d0-0000-7000-8000-000000000000']),
        runCommand(db, ['schedules', '--json']),
        runCommand(db, ['workers', '--json']),
      ]);
      expect(status.json()).toEqual({ queues: [{ queueName: 'cli', counts: { [FAILED]: 30 } }], workers: 1 });
      const listed = list.json<{ id: string; status: string; queueName: string }[]>();
      expect(listed).toHaveLength(5);
      expect(listed.every((task) => task.status === FAILED && task.queueName === 'cli')).toBe(true);
      expect(listed.map((task) => task.id)).toEqual([...failedIds].sort().reverse().slice(0, 5));
      expect(show.json()).toMatchObject({ id: failedIds[0], status: FAILED, attempts: 1, dependencyIds: [], dependentIds: [],
        errors: [expect.objectContaining({ message: 'cli failed' })] });
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('No task result with id');
      expect(schedules.json()).toEqual([expect.objectContaining({ id: 'nightly', cron: '0 3 * * *', paused: false })]);
      expect(workers.json()).toEqual([expect.objectContaining({ id: 'cli-observed', pid: process.pid, queues: ['idle'] })]);
      // Without --json, text for people.
      const text = await runCommand(db, ['status']);
      expect(text.stdout).toMatch(/QUEUE\s+WAITING\s+READY\s+RUNNING\s+SUCCESSFUL\s+FAILED\s+CANCELLED/);
      expect(text.stdout).toMatch(/cli\s+0\s+0\s+0\s+0\s+30\s+0/);
    } finally {
      await t.worker.stop();
      await run;
    }
  });

  it('pause and resume a queue, for every worker', async () => {
    const paused = await runCommand(db, ['pause', 'cli', '--json']);
    expect(paused.code).toBe(0);
    expect(paused.json()).toMatchObject({ name: 'cli', paused: true, counts: expect.objectContaining({ [FAILED]: 30 }) });
    expect((await t.tasks.listQueues()).find((queue) => queue.name === 'cli')?.paused).toBe(true);
    const resumed = await runCommand(db, ['resume', 'cli']);
    expect(resumed.stdout).toContain('Queue cli resumed.');
    expect((await t.tasks.listQueues()).find((queue) => queue.name === 'cli')?.paused).toBe(false);
  });

  it('retry, cancel and prune by id and in bulk, with a progress bar on stderr', async () => {
    const one = await runCommand(db, ['retry', failedIds[0], '--json']);
    expect(one.json()).toMatchObject({ id: failedIds[0], status: READY, maxAttempts: 2 });
    const both = await runCommand(db, ['retry', failedIds[1], '--queue', 'cli']);
    expect(both.code).toBe(2);

    const bulk = await runCommand(db, ['retry', '--queue', 'cli', '--status', 'FAILED', '--batch-size', '7', '--json']);
    expect(bulk.json()).toEqual({ retry: 29 });
    expect(bulk.stderr).toContain('29/29');
    expect(await t.tasks.countTasks({ queueName: 'cli', status: READY })).toBe(30);

    const cancelOne = await runCommand(db, ['cancel', failedIds[0], '--json']);
    expect(cancelOne.json()).toMatchObject({ id: failedIds[0], status: CANCELLED });
    const cancelAll = await runCommand(db, ['cancel', '--all', '--json']);
    expect(cancelAll.json()).toEqual({ cancel: 29 });
    expect(await t.tasks.countTasks({ status: CANCELLED })).toBe(30);

    const refused = await runCommand(db, ['prune']);
    expect(refused.code).toBe(2);
    const pruned = await runCommand(db, ['prune', '--all', '--json']);
    expect(pruned.json()).toEqual({ deleted: 30 });
    expect(await t.tasks.countTasks()).toBe(0);
  });

  it('run-now makes a READY task scheduled for later due, by id and in bulk; run stays the worker', async () => {
    const delayed = await t.tasks.enqueueMany(OperationTasks, 'flaky', [['later-1'], ['later-2']], { queueName: 'cli-later', delay: 3_600_000 });
    const [one, refused, missing, workerHelp] = await Promise.all([
      runCommand(db, ['run-now', delayed[0].id, '--json']),
      runCommand(db, ['run-now', '--queue', 'cli-later', '--status', 'FAILED']),
      runCommand(db, ['run-now', '0193a5d0-0000-7000-8000-000000000000']),
      runCommand(db, ['run', '--help']),
    ]);
    expect(workerHelp.code).toBe(0);
    expect(workerHelp.stdout).toContain('--concurrency N');
    expect(workerHelp.stdout).toMatch(/run-now \[id\]\s+make a READY task scheduled for later due now/);
    expect(one.json()).toMatchObject({ id: delayed[0].id, status: READY });
    expect(Date.parse((one.json() as { runAfter: string }).runAfter)).toBeLessThan(delayed[0].runAfter.getTime() - 1_800_000);
    expect([refused.code, refused.stderr]).toEqual([2, expect.stringContaining('READY')]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('0193a5d0-0000-7000-8000-000000000000');
    const bulk = await runCommand(db, ['run-now', '--queue', 'cli-later', '--json']);
    expect(bulk.json()).toEqual({ 'run-now': 1 });
    expect((await t.tasks.getResult(delayed[1].id)).runAfter.getTime()).toBeLessThan(delayed[1].runAfter.getTime() - 1_800_000);
    expect(await t.tasks.cancelMany({ queueName: 'cli-later' })).toBe(2);
    expect(await t.tasks.deleteMany({ queueName: 'cli-later' })).toBe(2);
  });
});
