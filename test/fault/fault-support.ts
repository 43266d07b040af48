import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { TaskResult, TaskResultStatus } from '../../src';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { FaultTasks } from '../fixtures/fault-app';
import { spawnWorker, WorkerProcess } from '../support/worker-process';

export const FAULT_APP = 'test/fixtures/fault-app.ts';

export interface Run {
  event: 'start' | 'end';
  id: string;
  attempt: number;
  pid: number;
}

/** The per-process execution logs of the fault fixture, and the processes that write them. */
export class FaultRig {
  readonly dir = mkdtempSync(join(tmpdir(), 'nestjs-tasks-fault-'));
  private readonly processes: WorkerProcess[] = [];

  constructor(private readonly db: TestDatabase) {}

  /** A worker (or, with FAULT_MODE, another role) of test/fixtures/fault-app.ts. */
  spawn(flags: string[], env: Record<string, string> = {}): WorkerProcess {
    const child = spawnWorker(this.db, flags, { TASKS_TEST_LOG_DIR: this.dir, ...env }, FAULT_APP);
    this.processes.push(child);
    return child;
  }

  runs(): Run[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((file) => file.startsWith('runs-'))
      .flatMap((file) => readFileSync(join(this.dir, file), 'utf8').split('\n').filter(Boolean))
      .map((line) => {
        const [event, id, attempt, pid] = line.split(' ');
        return { event: event as Run['event'], id, attempt: Number(attempt), pid: Number(pid) };
      });
  }

  /** How many times each task started. */
  starts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const run of this.runs()) if (run.event === 'start') counts.set(run.id, (counts.get(run.id) ?? 0) + 1);
    return counts;
  }

  outputs(): string {
    return this.processes.map((child) => child.output()).join('\n');
  }

  /** Kills whatever a failed test left running; each process is one this rig started. */
  async dispose(): Promise<void> {
    for (const child of this.processes) {
      if (child.child.exitCode === null && child.child.signalCode === null) {
        child.child.kill('SIGKILL');
        await child.exited;
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Every row of task_results, as entities. */
export async function allTasks(t: TestApp): Promise<TaskResult[]> {
  return t.app.get(DataSource).getRepository(TaskResult).find();
}

export async function countByStatus(t: TestApp): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const rows: { status: string; n: string | number }[] = await t.app.get(DataSource)
    .query('SELECT status, COUNT(*) AS n FROM task_results GROUP BY status');
  for (const row of rows) counts[row.status] = Number(row.n);
  return counts;
}

/** Polls `check` until it holds; errors count as "not yet" (the database may be restarting). */
export async function waitFor(check: () => boolean | Promise<boolean>, timeout = 30_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeout;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeout} ms${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
    await sleep(50);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Every task ended in `status`; lists the first offenders otherwise. */
export function expectAll(tasks: TaskResult[], status: TaskResultStatus): void {
  const wrong = tasks.filter((task) => task.status !== status);
  if (wrong.length > 0) {
    throw new Error(`${wrong.length} of ${tasks.length} task(s) are not ${status}: ` +
      wrong.slice(0, 5).map((task) => `${task.id} ${task.status} errors=${JSON.stringify(task.errors)}`).join('; '));
  }
}

/** Output lines that mean the database pushed back instead of waiting (SQLite's lock errors). */
export function lockErrors(output: string): string[] {
  return output.split('\n').filter((line) => /SQLITE_BUSY|SQLITE_LOCKED|database is locked|database table is locked/i.test(line));
}

/** One line per fault scenario, for whoever collects the suite's figures (FAULT_REPORT=file). */
export function report(fields: Record<string, string | number>): void {
  const file = process.env.FAULT_REPORT;
  if (!file) return;
  appendFileSync(file, `${JSON.stringify({ db: process.env.TEST_DB ?? 'sqlite', ...fields })}\n`);
}

export interface FaultEnvironment {
  db: TestDatabase;
  /** The application that enqueues and inspects; workers run in processes spawned through `rig`. */
  t: TestApp;
  rig: FaultRig;
}

/** A fresh database, an application with FaultTasks, and a rig for worker processes: one per test. */
export async function openFaultEnvironment(): Promise<FaultEnvironment> {
  const db = await createTestDatabase();
  const t = await createTestApp(db, [FaultTasks]);
  return { db, t, rig: new FaultRig(db) };
}

export async function closeFaultEnvironment({ db, t, rig }: FaultEnvironment): Promise<void> {
  await rig.dispose();
  await t.close();
  await db.cleanup();
}
