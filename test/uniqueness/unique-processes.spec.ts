import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { TaskResultStatus } from '../../src';
import { KeyedTasks } from '../fixtures/unique-tasks';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TEST_DB, TestDatabase } from '../support/test-database';
import { killWorkers, spawnWorker, WORKER_START_MS } from '../support/worker-process';

const PROCESSES = 8;
const PER_PROCESS = 200;

interface Summary {
  ids: string[];
  stored: number;
  count: number;
}

/**
 * Real processes enqueue one key at the same moment, each with many enqueues in flight: the
 * database's unique index leaves exactly one pending task, which every enqueue resolves with.
 */
describe(`unique tasks across processes (${TEST_DB})`, () => {
  let db: TestDatabase;
  let t: TestApp;
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db, [KeyedTasks]);
    dir = mkdtempSync(join(tmpdir(), 'nestjs-tasks-keys-'));
  });
  afterAll(async () => {
    await killWorkers();
    await t?.close();
    await db?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`${PROCESSES} processes × ${PER_PROCESS} concurrent enqueues of one key leave exactly one pending task`, async () => {
    const go = join(dir, 'go');
    const processes = Array.from({ length: PROCESSES }, () => spawnWorker(db, [], {
      TASKS_TEST_GO: go, TASKS_TEST_COUNT: String(PER_PROCESS),
    }, 'test/fixtures/keyed-enqueuer.ts'));
    // Eight processes transpile the project at once on a shared machine: they take long to load.
    await Promise.all(processes.map((p) => p.waitForOutput(/^ready$/m, 2 * WORKER_START_MS)));
    writeFileSync(go, '');
    const codes = await Promise.all(processes.map((p) => p.exited));
    expect(codes.map((code, i) => (code === 0 ? 0 : processes[i].output()))).toEqual(processes.map(() => 0));
    const summaries = processes.map((p) => JSON.parse(/^result (.*)$/m.exec(p.output())![1]) as Record<string, Summary>);

    const rows: { id: string; unique_key: string; status: string }[] = await t.app.get(DataSource)
      .query('SELECT id, unique_key, status FROM task_results');
    for (const key of ['shared', 'replaced']) {
      const stored = rows.filter((row) => row.unique_key === key);
      expect(stored).toEqual([expect.objectContaining({ status: TaskResultStatus.READY })]);
      const mine = summaries.map((summary) => summary[key]);
      // Every enqueue of every process resolved with that one task, and exactly one stored it.
      expect(mine.map((summary) => summary.ids)).toEqual(processes.map(() => [stored[0].id]));
      expect(mine.reduce((sum, summary) => sum + summary.count, 0)).toBe(PROCESSES * PER_PROCESS);
      expect(mine.reduce((sum, summary) => sum + summary.stored, 0)).toBe(1);
    }
    // The replaced task holds the arguments of one of the enqueues (the last to take its lock).
    const replaced = await t.tasks.getByKey(KeyedTasks, 'record', 'replaced');
    expect(replaced!.args[0]).toMatch(/^\d+:\d+$/);
    expect(rows).toHaveLength(2);
  }, 4 * WORKER_START_MS);
});
