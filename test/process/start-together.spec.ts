import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { TASKS_MIGRATIONS } from '../../src';
import { dataSourceOptions, TEST_DB, TEST_ENGINE, TestDatabase } from '../support/test-database';
import { killWorkers, spawnWorker } from '../support/worker-process';

/**
 * Processes started together on a database never migrated, each migrating at start-up through
 * runMigrationsExclusively(): all start at the first try, nothing is logged, every migration
 * runs once.
 */
describe(`processes starting together on a new database (${TEST_DB})`, () => {
  let dir: string;
  let database: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nestjs-tasks-start-'));
    if (TEST_ENGINE === 'sqlite') {
      database = join(dir, 'new.sqlite');
      return;
    }
    database = TEST_ENGINE === 'postgres' ? process.env.PG_DATABASE ?? 'test' : process.env.MYSQL_DATABASE ?? 'test';
    const dataSource = await new DataSource({ ...dataSourceOptions(TEST_DB, database), migrations: [] }).initialize();
    try {
      await dataSource.query('DROP TABLE IF EXISTS task_queues');
      await dataSource.query('DROP TABLE IF EXISTS task_workers');
      await dataSource.query('DROP TABLE IF EXISTS task_throttles');
      await dataSource.query('DROP TABLE IF EXISTS task_schedules');
      await dataSource.query('DROP TABLE IF EXISTS task_dependencies');
      await dataSource.query('DROP TABLE IF EXISTS task_results');
      await dataSource.query('DROP TABLE IF EXISTS migrations');
    } finally {
      await dataSource.destroy();
    }
  });
  afterEach(async () => {
    await killWorkers();
    rmSync(dir, { recursive: true, force: true });
  });

  it('migrate one after the other and start cleanly', async () => {
    const db = { describe: () => ({ type: TEST_DB, database }) } as TestDatabase;
    // Far enough ahead for every process to have loaded before it, even on a busy machine.
    const startAt = String(Date.now() + 8_000);
    const processes = Array.from({ length: 4 }, () =>
      spawnWorker(db, [], { TASKS_TEST_START_AT: startAt }, 'test/fixtures/migrating-app.ts'));
    const codes = await Promise.all(processes.map((child) => child.exited));
    for (const child of processes) {
      expect(child.output()).not.toMatch(/already exists|Retrying|ERROR|Error/);
      expect(child.output()).toContain('started');
    }
    expect(codes).toEqual([0, 0, 0, 0]);

    const dataSource = await new DataSource(dataSourceOptions(TEST_DB, database)).initialize();
    try {
      const ran = await dataSource.query('SELECT name FROM migrations ORDER BY id');
      expect(ran.map((row: { name: string }) => row.name)).toEqual(TASKS_MIGRATIONS.map((Migration) => new Migration().name));
      await expect(dataSource.query('SELECT COUNT(*) AS n FROM task_results')).resolves.toHaveLength(1);
    } finally {
      await dataSource.destroy();
    }
  }, 180_000);
});
