import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { call, TaskResult } from '../../src';
import { Ticks } from '../fixtures/schedule-tasks';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TEST_DB, TestDatabase } from '../support/test-database';
import { killWorkers, spawnWorker, WORKER_START_MS, WorkerProcess } from '../support/worker-process';

const APP = 'test/fixtures/schedule-app.ts';
const SECOND = 1000;

/**
 * Real worker processes, each running the scheduler, on one database: every tick of a schedule
 * is enqueued exactly once, whether they start at the same instant, one is SIGKILLed and
 * restarted, or all are down for a while (with and without backfill).
 */
describe(`the scheduler across worker processes (${TEST_DB})`, () => {
  let db: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    // No worker here: this process only writes schedules and reads results.
    t = await createTestApp(db, [Ticks]);
  });
  afterAll(async () => {
    await killWorkers();
    await t?.close();
    await db?.cleanup();
  });

  /** Every run of the schedule whose runs carry `label` as argument (or of task `label`), ordered by tick. */
  async function runsOf(label: string): Promise<TaskResult[]> {
    const rows: { id: string }[] = await t.app.get(DataSource).query('SELECT id FROM task_results WHERE scheduled_at IS NOT NULL');
    const results = (await Promise.all(rows.map((row) => t.tasks.getResult(row.id))))
      .filter((result) => result.taskName === label || result.args[0] === label);
    return results.sort((a, b) => a.scheduledAt!.getTime() - b.scheduledAt!.getTime());
  }

  function start(count: number, at = Date.now() + 500): WorkerProcess[] {
    return Array.from({ length: count }, () => spawnWorker(db, ['--lease-duration', '2000'], { TASKS_TEST_START_AT: String(at) }, APP));
  }

  const started = (workers: WorkerProcess[]) => Promise.all(workers.map((worker) => worker.waitForOutput(/Worker .* started/, WORKER_START_MS)));

  it('enqueues each tick once: 3 processes started together, one SIGKILLed mid-tick and restarted, then all down', async () => {
    const every = { cron: '* * * * * *' };
    await t.tasks.schedule('tick', call(Ticks, 'tick', ['tick']), every);
    await t.tasks.schedule('backfilled', call(Ticks, 'tick', ['backfilled']), { ...every, backfill: 20 * SECOND });
    await t.tasks.schedule('skipping', call(Ticks, 'tick', ['skipping']), every);
    await t.tasks.schedule('paused', call(Ticks, 'tick', ['paused']), every);
    await t.tasks.schedule('slow', call(Ticks, 'slow', [2_500]), { ...every, overlap: false });

    // Loaded first, then started at one instant: the transpiling takes long and varies.
    const workers = start(3, Date.now() + 10 * SECOND);
    await started(workers);
    const begin = Date.now();

    // SIGKILL one just after a tick, while the processes are claiming it, and start another.
    await sleep(3 * SECOND - (Date.now() % SECOND) + 5);
    workers[0].child.kill('SIGKILL');
    await workers[0].exited;
    const restarted = start(1);
    await t.tasks.pauseSchedule('paused');
    const pausedAt = Date.now();
    await sleep(2_500);
    await t.tasks.resumeSchedule('paused');
    const resumedAt = Date.now();
    await started(restarted);
    // 20 s of ticks with the processes up.
    await sleep(Math.max(0, begin + 20 * SECOND - Date.now()));

    // Everything down for 5 s and more, then one process again.
    await killWorkers();
    const downAt = Date.now();
    await sleep(5_500);
    const upAt = Date.now();
    const last = start(1);
    await started(last);
    await sleep(2_500);
    await killWorkers();
    const end = Date.now();

    const figures: string[] = [];
    // 'tick': one run for every second from the first to the last tick, with the process killed mid-way.
    const tick = await runsOf('tick');
    const ticks = tick.map((result) => result.scheduledAt!.getTime());
    expect(new Set(ticks).size).toBe(ticks.length);
    const aliveTicks = ticks.filter((at) => at >= begin && at < downAt - SECOND);
    const expected = Math.floor((downAt - SECOND - begin) / SECOND) - 1;
    expect(aliveTicks.length).toBeGreaterThanOrEqual(expected);
    for (let i = 1; i < aliveTicks.length; i++) expect(aliveTicks[i] - aliveTicks[i - 1]).toBe(SECOND);
    const lags = tick.filter((result) => result.scheduledAt!.getTime() < downAt)
      .map((result) => result.enqueuedAt.getTime() - result.scheduledAt!.getTime()).sort((a, b) => a - b);
    figures.push(`tick: ${aliveTicks.length} ticks expected ≥ ${expected}, ${ticks.length} enqueued, ${ticks.length - new Set(ticks).size} duplicates; ` +
      `lag p50 ${lags[Math.floor(lags.length / 2)]} ms, p99 ${lags[Math.floor(lags.length * 0.99)]} ms`);

    // 'backfilled': the ticks missed while everything was down were enqueued once each when a process came back.
    const backfilled = (await runsOf('backfilled')).map((result) => result.scheduledAt!.getTime());
    expect(new Set(backfilled).size).toBe(backfilled.length);
    const window = backfilled.filter((at) => at >= begin && at <= end - 3 * SECOND);
    for (let i = 1; i < window.length; i++) expect(window[i] - window[i - 1]).toBe(SECOND);
    expect(window.filter((at) => at > downAt && at < upAt).length).toBeGreaterThanOrEqual(4);

    // 'skipping' (no backfill): those ticks were skipped, but for the latest (a minute's grace).
    const skipping = (await runsOf('skipping')).map((result) => result.scheduledAt!.getTime());
    expect(new Set(skipping).size).toBe(skipping.length);
    expect(skipping.filter((at) => at > downAt + SECOND && at < upAt - SECOND).length).toBeLessThanOrEqual(1);
    expect(skipping.filter((at) => at > upAt).length).toBeGreaterThanOrEqual(1);

    // 'paused': nothing between pause and resume.
    const paused = (await runsOf('paused')).map((result) => result.scheduledAt!.getTime());
    expect(paused.filter((at) => at > pausedAt + 100 && at < resumedAt - 100)).toEqual([]);
    expect(paused.filter((at) => at > resumedAt).length).toBeGreaterThanOrEqual(1);

    // 'slow' (overlap: false, runs of 2.5 s every second): never two at once.
    const slow = (await runsOf('Ticks.slow')).filter((result) => result.startedAt);
    for (let i = 1; i < slow.length; i++) {
      const previousEnd = slow[i - 1].finishedAt ?? new Date(8.64e15);
      expect(slow[i].startedAt!.getTime()).toBeGreaterThanOrEqual(previousEnd.getTime() - 50);
    }
    // A tick while the previous run is unfinished is skipped: at most one run per 2.5 s (and a few cut short by the kills).
    expect(slow.length).toBeGreaterThanOrEqual(2);
    expect(slow.length).toBeLessThanOrEqual(Math.ceil((end - begin) / 2_500) + 2);
    figures.push(`backfilled: ${window.filter((at) => at > downAt && at < upAt).length} ticks missed while down enqueued; ` +
      `skipping: ${skipping.filter((at) => at > downAt + SECOND && at < upAt - SECOND).length}; slow runs ${slow.length}`);
    if (process.env.TASKS_TEST_FIGURES) process.stdout.write(`${TEST_DB}: ${figures.join('\n')}\n`);
  }, 180_000);
});
