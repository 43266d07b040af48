import { INestApplication, Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Browser, Page } from 'playwright-core';
import { DataSource } from 'typeorm';
import { Task, TaskResultStatus, TaskService, TaskWorker } from 'nestjs-tasks';
import { AppModule } from '../../sample/src/app.module';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { waitUntil } from '../support/wait-until';
import { collectErrors, launchChromium, screenshot } from './browser';

/** Tasks of the test next to the sample's: one that fails until the test repairs what it needs. */
@Injectable()
class BrowserTasks {
  static broken = true;

  @Task({ name: 'imports.file' })
  async importFile(path: string): Promise<{ path: string; rows: number }> {
    if (BrowserTasks.broken) throw new Error(`Cannot read ${path}: the share is not mounted`);
    return { path, rows: 42 };
  }

  @Task({ name: 'imports.echo' })
  async echo(value: string): Promise<string> {
    return value;
  }
}

/** The sample application with its dashboard at /dashboard, in real headless Chromium. */
describe('dashboard in Chromium (sample application)', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let tasks: TaskService;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let url: string;
  let failedId: string;
  let delayedId: string;
  let worker: Promise<unknown> | null = null;
  const savedEnv = { DB: process.env.DB, SQLITE_FILE: process.env.SQLITE_FILE };

  beforeAll(async () => {
    db = await createTestDatabase();
    process.env.DB = 'sqlite';
    process.env.SQLITE_FILE = db.describe().database;
    const moduleRef = await Test.createTestingModule({ imports: [AppModule], providers: [BrowserTasks] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}/dashboard`;
    tasks = app.get(TaskService);

    failedId = (await tasks.enqueue(BrowserTasks, 'importFile', ['/mnt/share/orders.csv'])).id;
    await tasks.enqueue(BrowserTasks, 'echo', ['<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>']);
    await tasks.enqueueMany(BrowserTasks, 'echo', [['a'], ['b'], ['c']]);
    await app.get(TaskWorker).run({ batch: true, queues: '*' });
    delayedId = (await tasks.enqueue(BrowserTasks, 'echo', ['later'], { delay: 3_600_000 })).id;

    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    errors = collectErrors(page);
    page.on('dialog', (dialog) => void dialog.accept());
  });

  afterAll(async () => {
    await browser?.close();
    if (worker) {
      await app.get(TaskWorker).stop();
      await worker;
    }
    await app?.close();
    await db?.cleanup();
    for (const [name, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  /** Starts the sample's worker in this process, for the steps that need tasks to run. */
  function startWorker(): void {
    worker ??= app.get(TaskWorker).run({ queues: '*', pollInterval: 100 });
  }

  it('the overview shows the counts the database has, and charts', async () => {
    await page.goto(url);
    await page.locator('[data-count="SUCCESSFUL"] .count').filter({ hasText: /\d/ }).waitFor();
    const rows = await app.get(DataSource).query('SELECT status, COUNT(*) AS count FROM task_results GROUP BY status');
    const expected = Object.fromEntries(rows.map((row: { status: string; count: number }) => [row.status, Number(row.count)]));
    expect(expected).toEqual({ SUCCESSFUL: 4, FAILED: 1, READY: 1 });
    for (const status of Object.values(TaskResultStatus)) {
      expect(await page.locator(`[data-count="${status}"] .count`).textContent()).toBe(String(expected[status] ?? 0));
    }
    await page.locator('#throughput-chart canvas').waitFor();
    await page.locator('#runtime-chart canvas').waitFor();
    await screenshot(page, 'overview');
  });

  it("a failed task's page shows its error with the traceback", async () => {
    await page.goto(`${url}#/tasks/${failedId}`);
    const traceback = page.locator('pre.traceback');
    await traceback.waitFor();
    expect(await traceback.textContent()).toContain('Error: Cannot read /mnt/share/orders.csv: the share is not mounted');
    expect(await traceback.textContent()).toMatch(/at BrowserTasks\.importFile/);
    expect(await page.locator('[data-field="Status"]').textContent()).toBe('FAILED');
    await screenshot(page, 'failed-task');
  });

  it('arguments are shown as text, never run as HTML', async () => {
    await page.goto(`${url}#/tasks?task=imports.echo&q=onerror`);
    const row = page.locator('tr[data-task-id]');
    await row.first().waitFor();
    expect(await row.count()).toBe(1);
    expect(await row.locator('.preview').textContent()).toContain('<script>window.__xss=1</script>');
    await row.locator('a').first().click();
    await page.locator('#task-return-value').waitFor();
    expect(await page.locator('#task-args').textContent()).toContain('<img src=x onerror=');
    expect(await page.locator('#task-return-value').textContent()).toContain('<script>window.__xss=1</script>');
    expect(await page.evaluate(() => (globalThis as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.locator('#task-detail img, #task-detail script').count()).toBe(0);
  });

  it("a running task's progress updates live, then it shows SUCCESSFUL without a reload", async () => {
    startWorker();
    const report = await tasks.enqueue('reports.generate', [{ name: 'Live', rows: 750 }]);
    await page.goto(`${url}#/tasks/${report.id}`);
    const progress = page.locator('[data-field="Progress"]');
    await progress.filter({ hasText: /Processed \d+ of 750 rows/ }).waitFor({ timeout: 10_000 });
    const seen = new Set<string>();
    while (!(await page.locator('[data-field="Status"] [data-status="SUCCESSFUL"]').count())) {
      seen.add((await progress.textContent()) ?? '');
      await page.waitForTimeout(200);
    }
    const steps = [...seen].filter((text) => /Processed \d+ of 750/.test(text));
    expect(steps.length).toBeGreaterThanOrEqual(2);
    expect(await progress.textContent()).toContain('750 / 750 (100%)');
    expect(await page.locator('#task-return-value').textContent()).toContain('"rows": 750');
    await screenshot(page, 'task-detail');
  });

  it("retry on a failed task's page runs it again, and the page shows SUCCESSFUL without a reload", async () => {
    startWorker();
    BrowserTasks.broken = false;
    await page.goto(`${url}#/tasks/${failedId}`);
    await page.locator('button[data-action="retry"]').click();
    await page.locator('[data-field="Status"] [data-status="SUCCESSFUL"]').waitFor({ timeout: 15_000 });
    expect(await page.locator('[data-field="Attempts"]').textContent()).toBe('2 of 2');
    // The first attempt's error stays on record.
    expect(await page.locator('pre.traceback').count()).toBe(1);
    expect(await page.locator('#task-return-value').textContent()).toContain('"rows": 42');
  });

  it("run now on a delayed task's page runs it, and the page shows SUCCESSFUL without a reload", async () => {
    startWorker();
    // The bulk form is offered on a READY filter only.
    await page.goto(`${url}#/tasks?status=READY`);
    await page.locator(`tr[data-task-id="${delayedId}"]`).waitFor();
    expect(await page.locator('button[data-action="tasks/run"]').count()).toBe(1);
    await page.goto(`${url}#/tasks?status=FAILED`);
    await page.locator('button[data-action="tasks/retry"]').waitFor();
    expect(await page.locator('button[data-action="tasks/run"]').count()).toBe(0);
    await page.goto(`${url}#/tasks/${delayedId}`);
    await page.locator('[data-field="Status"] [data-status="READY"]').waitFor();
    await page.locator('button[data-action="run-now"]').click();
    await page.locator('[data-field="Status"] [data-status="SUCCESSFUL"]').waitFor({ timeout: 15_000 });
    expect(await page.locator('#task-return-value').textContent()).toContain('"later"');
    expect(await page.locator('button[data-action="run-now"]').count()).toBe(0);
  });

  it('bulk retry over a filter of 100 failed tasks', async () => {
    BrowserTasks.broken = true;
    await tasks.enqueueMany(BrowserTasks, 'importFile', Array.from({ length: 100 }, (_, index): [string] => [`/mnt/share/${index}.csv`]));
    const failedImports = () => tasks.countTasks({ status: TaskResultStatus.FAILED, taskName: 'imports.file' });
    await waitUntil(async () => (await failedImports()) === 100, 20_000, '100 imports FAILED');
    BrowserTasks.broken = false;
    await page.goto(`${url}#/tasks?status=FAILED&task=imports.file`);
    await page.locator('tr[data-task-id]').first().waitFor();
    expect(await page.locator('tr[data-task-id]').count()).toBe(50);
    await page.locator('button[data-action="tasks/retry"]').click();
    await page.locator('.flash-ok').filter({ hasText: 'Retry all matching: 100 tasks.' }).waitFor();
    await waitUntil(async () => (await tasks.countTasks({ status: TaskResultStatus.SUCCESSFUL, taskName: 'imports.file' })) === 101, 20_000,
      '101 imports SUCCESSFUL');
    await page.locator('#task-list .empty').waitFor();
    expect(await failedImports()).toBe(0);
  });

  it('pausing a queue stops its tasks from being claimed until it is resumed', async () => {
    await page.goto(`${url}#/queues`);
    const row = page.locator('tr[data-queue="reports"]');
    await row.locator('button[data-action="pause"]').click();
    await row.locator('.queue-state').filter({ hasText: 'paused' }).waitFor();
    expect((await tasks.listQueues()).find((queue) => queue.name === 'reports')?.paused).toBe(true);
    const report = await tasks.enqueue('reports.generate', [{ name: 'Paused', rows: 10 }]);
    await row.locator('td').nth(2).filter({ hasText: '1' }).waitFor();
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect((await report.refresh()).status).toBe(TaskResultStatus.READY);
    await screenshot(page, 'queues');
    await row.locator('button[data-action="resume"]').click();
    await row.locator('.queue-state').filter({ hasText: 'active' }).waitFor();
    await report.wait({ timeout: 15_000 });
  });

  it('the workers page shows the running worker', async () => {
    await page.goto(`${url}#/workers`);
    await page.locator('tr[data-worker]').first().waitFor();
    await screenshot(page, 'workers');
  });

  it('the overview, tasks and schedules pages render after all that', async () => {
    await page.goto(url);
    await page.locator('[data-count="SUCCESSFUL"] .count').filter({ hasText: /\d\d\d/ }).waitFor();
    await page.locator('#runtime-chart canvas').waitFor();
    await screenshot(page, 'overview-after-actions');
    await page.goto(`${url}#/tasks`);
    await page.locator('tr[data-task-id]').first().waitFor();
    await screenshot(page, 'tasks');
    await page.goto(`${url}#/schedules`);
    await page.locator('#schedule-list').filter({ hasText: /schedule/i }).waitFor();
  });

  it('logged no console error and no uncaught exception', () => {
    expect(errors).toEqual([]);
  });
});
