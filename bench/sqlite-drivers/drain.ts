/**
 * No-op drain on one SQLite file, per driver: `TEST_DB=sqlite|sqlite3 node -r
 * test/support/register-ts.js bench/sqlite-drivers/drain.ts [tasks] [rounds]`. Each round
 * enqueues `tasks` no-op tasks (untimed), then times `TaskWorker.run({ batch: true })` until the
 * queue is empty, and prints one JSON line per round. With TEST_DB=sqlite3 the application runs
 * on TypeORM 0.3's `type: 'sqlite'` (register-ts.js), as the test suite does.
 */
import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Task } from '../../src';
import { createTestApp } from '../../test/support/test-app';
import { createTestDatabase, TEST_DB } from '../../test/support/test-database';

@Injectable()
class NoopTasks {
  @Task()
  async noop(): Promise<null> {
    return null;
  }
}

async function main(tasks: number, rounds: number): Promise<void> {
  const db = await createTestDatabase();
  const t = await createTestApp(db, [NoopTasks]);
  try {
    for (let round = 1; round <= rounds; round++) {
      for (let i = 0; i < tasks; i += 1_000) {
        await t.tasks.enqueueMany(NoopTasks, 'noop', Array.from({ length: Math.min(1_000, tasks - i) }, () => [] as []));
      }
      const started = process.hrtime.bigint();
      await t.worker.run({ batch: true, concurrency: 10 });
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      console.log(JSON.stringify({ driver: TEST_DB, round, tasks, ms: Math.round(ms), tasksPerSecond: Math.round(tasks / (ms / 1000)) }));
    }
  } finally {
    await t.close();
    await db.cleanup();
  }
}

const [tasks = '10000', rounds = '3'] = process.argv.slice(2);
void main(Number(tasks), Number(rounds));
