import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, pipe, TaskResultStatus } from '../../src';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { killWorkers, spawnWorker, WORKER_START_MS } from '../support/worker-process';
import { ProcessTasks } from '../fixtures/worker-app';
import { waitUntil } from '../support/wait-until';

/** Workflows run by real worker processes: crashes in the middle, several workers at once. */
describe('workflows across worker processes', () => {
  let db: TestDatabase;
  let t: TestApp;
  let dir: string;
  let logFile: string;

  beforeEach(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db, [ProcessTasks]);
    dir = mkdtempSync(join(tmpdir(), 'nestjs-tasks-log-'));
    logFile = join(dir, 'runs.log');
  });
  afterEach(async () => {
    await killWorkers();
    await t.close();
    await db.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  /** `[event, id]` per line of the run log, in the order written. */
  const runs = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').filter(Boolean) : [])
    .map((line) => line.split(' ') as [string, string, string]);
  const count = (event: string, id: string) => runs().filter(([e, i]) => e === event && i === id).length;

  it('a worker SIGKILLed in the middle of a chain and a chord: nothing is lost, no dependent runs early, each callback once', async () => {
    const chain = await t.tasks.chain([call(ProcessTasks, 'step', [0, 150]),
      ...Array.from({ length: 5 }, () => pipe(ProcessTasks, 'step', [150]))] as const);
    // On a loaded machine the victim may outrun the kill (it lands only once this process sees
    // the log) and finish every member, then die holding the callback, claimed or claimed ahead:
    // the callback needs an attempt to spare too.
    const chord = await t.tasks.group(Array.from({ length: 12 }, () => call(ProcessTasks, 'sleep', [250])),
      { then: pipe(ProcessTasks, 'collect', ['chord'], { maxAttempts: 2 }) });
    // A lease long enough that a worker slowed down by a busy machine keeps its attempts.
    const flags = ['--concurrency', '4', '--lease-duration', '3000', '--interval', '50'];
    const victim = spawnWorker(db, flags, { TASKS_TEST_LOG: logFile });
    // Killed while steps and members are running, some of each done.
    await waitUntil(() => count('end', chain.results[1].id) === 1 && runs().filter(([e]) => e === 'end').length >= 5, WORKER_START_MS);
    victim.child.kill('SIGKILL');
    await victim.exited;
    spawnWorker(db, flags, { TASKS_TEST_LOG: logFile });
    expect(await chain.wait({ timeout: WORKER_START_MS })).toBe(6);
    expect(await chord.callback!.wait({ timeout: WORKER_START_MS })).toBe('chord:12');
    const log = runs();
    const lastEnd = (id: string) => log.map(([e, i]) => e === 'end' && i === id).lastIndexOf(true);
    // Each step completed, in order: no step started before its predecessor's last (recorded)
    // attempt ended. A step cut by the kill after its work but before its outcome was written runs again.
    for (const [index, step] of chain.results.entries()) {
      expect(count('end', step.id)).toBeGreaterThanOrEqual(1);
      if (index === 0) continue;
      expect(log.findIndex(([e, id]) => e === 'start' && id === step.id)).toBeGreaterThan(lastEnd(chain.results[index - 1].id));
    }
    expect(runs().filter(([e]) => e === 'end').length).toBeLessThanOrEqual(6 + 12 + 4);
    // Released once by the chord: one row, run once more only if the victim died running it.
    const callbackRuns = log.filter(([e]) => e.startsWith('callback'));
    const callback = await chord.callback!.refresh();
    expect(callbackRuns.length).toBeGreaterThanOrEqual(1);
    expect(callbackRuns.length).toBeLessThanOrEqual(callback.attempts);
    expect(new Set(callbackRuns.map(([, id]) => id))).toEqual(new Set([callback.id]));
    const callbackAt = log.findIndex(([e]) => e === 'callback:12');
    for (const member of chord.results) {
      expect(count('end', member.id)).toBeGreaterThanOrEqual(1);
      expect(lastEnd(member.id)).toBeLessThan(callbackAt);
    }
    expect((await chord.refresh()).counts[TaskResultStatus.SUCCESSFUL]).toBe(12);
  }, 3 * WORKER_START_MS);

  const MEMBERS = 5000;
  it('4 worker processes drain a chord of 5 000: every member once, the callback once, after all of them', async () => {
    const chord = await t.tasks.group(Array.from({ length: MEMBERS }, (_, i) => call(ProcessTasks, 'record', [`m${i}`])),
      { then: pipe(ProcessTasks, 'collect', ['all']) });
    const workers = Array.from({ length: 4 }, (_, i) =>
      spawnWorker(db, ['--batch', '--concurrency', '10', '--worker-id', `w${i}`], { TASKS_TEST_LOG: logFile }));
    await Promise.all(workers.map((worker) => worker.exited));
    // A batch worker may exit before the callback was released by another: drain what is left.
    await t.worker.run({ batch: true });
    expect(await chord.callback!.wait({ timeout: WORKER_START_MS })).toBe(`all:${MEMBERS}`);
    const log = runs();
    const members = new Set(chord.results.map((member) => member.id));
    const memberRuns = log.filter(([e, id]) => e === 'run' && members.has(id));
    expect(memberRuns).toHaveLength(MEMBERS);
    expect(new Set(memberRuns.map(([, id]) => id)).size).toBe(MEMBERS);
    expect(log.filter(([e]) => e.startsWith('callback'))).toHaveLength(1);
    expect(log[log.length - 1][0]).toBe(`callback:${MEMBERS}`);
  }, 3 * WORKER_START_MS);
});
