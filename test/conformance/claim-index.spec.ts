import { DataSource } from 'typeorm';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase, TEST_DB, TEST_ENGINE } from '../support/test-database';
import { SampleTasks } from '../fixtures/sample-tasks';

/** The claim must be served by task_results_claim_idx, not by scanning the table. */
describe('claim index', () => {
  let db: TestDatabase;
  let t: TestApp;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db, [SampleTasks]);
    dataSource = t.app.get(DataSource);
    const args = Array.from({ length: 10_000 }, (_, i) => [i, i] as [number, number]);
    await t.tasks.enqueueMany(SampleTasks, 'add', args);
    // Most of the table finished, as in a long-lived application.
    const argsText = TEST_DB === 'postgres' ? 'args::text' : 'args'; // jsonb has no LIKE
    await dataSource.query(`UPDATE task_results SET status = 'SUCCESSFUL' WHERE priority = 0 AND ${argsText} NOT LIKE '[1%'`);
    if (TEST_DB === 'postgres') await dataSource.query('ANALYZE task_results');
    if (TEST_DB === 'mysql') await dataSource.query('ANALYZE TABLE task_results');
    if (TEST_ENGINE === 'sqlite') await dataSource.query('ANALYZE');
  });
  afterAll(async () => {
    await t.close();
    await db.cleanup();
  });

  it('uses task_results_claim_idx for the claim query at 10 000 rows', async () => {
    const select = `SELECT id FROM task_results WHERE status = 'READY' AND queue_name IN ('default') AND run_after <= ${
      TEST_ENGINE === 'sqlite' ? "'2999-01-01 00:00:00.000'" : "'2999-01-01 00:00:00'"} ORDER BY priority DESC, run_after, id LIMIT 10`;
    const plan = JSON.stringify(await dataSource.query(`${TEST_ENGINE === 'sqlite' ? 'EXPLAIN QUERY PLAN' : 'EXPLAIN'} ${select}`));
    expect(plan).toContain('task_results_claim_idx');
    if (TEST_ENGINE === 'sqlite') {
      expect(plan).not.toContain('SCAN task_results');
      // The index also gives the order: no temporary b-tree to sort.
      expect(plan).not.toContain('TEMP B-TREE');
    }
    if (TEST_DB === 'postgres') expect(plan).not.toContain('Seq Scan');
    if (TEST_DB === 'mysql') expect(plan).not.toMatch(/"type":"ALL"/);
  });

  it('the worker claims the due tasks with that plan', async () => {
    const summary = await t.worker.run({ batch: true, concurrency: 50 });
    const remaining = Number((await dataSource.query(`SELECT COUNT(*) AS n FROM task_results WHERE status = 'READY'`))[0].n);
    expect(remaining).toBe(0);
    expect(summary.claimed).toBeGreaterThan(1000);
  });
});
