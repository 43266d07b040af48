import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Task, TaskResultStatus } from '../../src';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { waitFor } from './fault-support';

@Injectable()
class BigValueTasks {
  /** `count` double quotes: JSON escapes each once, the statement's quoting once more. */
  @Task({ maxAttempts: 3, backoff: 0 })
  quotes(count: number): string {
    return '"'.repeat(count);
  }

  @Task()
  throwsQuotes(count: number): never {
    throw new Error('"'.repeat(count));
  }

  @Task({ maxAttempts: 3, backoff: 0 })
  small(label: string): string {
    return label;
  }
}

/**
 * A return value that the server refuses for its size (error 1153, max_allowed_packet) is a
 * failed attempt, not an outage: it is not retried, and the outcomes after it are written.
 */
describe('fault: an outcome over max_allowed_packet', () => {
  let db: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db, [BigValueTasks]);
  });
  afterAll(async () => {
    await t.close();
    await db.cleanup();
  });

  it('fails its task (InvalidTaskReturnValueError; an error too large is replaced) and does not hold up the worker', async () => {
    const [{ packet }] = await t.app.get(DataSource).query('SELECT @@max_allowed_packet AS packet');
    // Its JSON text (each quote escaped: 2 bytes) fits in a packet; as a statement (4 bytes each) it does not.
    const count = Math.floor(Number(packet) * 0.45);
    const big = await t.tasks.enqueue(BigValueTasks, 'quotes', [count], { priority: 10 });
    const thrown = await t.tasks.enqueue(BigValueTasks, 'throwsQuotes', [count], { priority: 5 });
    const after = await t.tasks.enqueueMany(BigValueTasks, 'small', [['a'], ['b'], ['c']]);
    const run = t.worker.run({ concurrency: 1, pollInterval: 50, shutdownTimeout: 1_000 });
    try {
      await waitFor(async () => {
        const results = await Promise.all([big, ...after].map((result) => t.tasks.getResult(result.id)));
        return (await t.tasks.getResult(thrown.id)).isFinished && results.every((result) => result.isFinished);
      }, 30_000, 'every task finished');
    } finally {
      await t.worker.stop();
      await run;
    }
    const failed = await t.tasks.getResult(big.id);
    expect(failed.status).toBe(TaskResultStatus.FAILED);
    expect(failed.attempts).toBe(1);
    expect(failed.errors).toEqual([expect.objectContaining({ name: 'InvalidTaskReturnValueError', attempt: 1 })]);
    expect(failed.errors[0].message).toContain('max_allowed_packet');
    const failedWithError = await t.tasks.getResult(thrown.id);
    expect(failedWithError.status).toBe(TaskResultStatus.FAILED);
    expect(failedWithError.errors).toHaveLength(1);
    expect(failedWithError.errors[0].message).toMatch(/^The task failed with an error that could not be stored: .*max_allowed_packet/);
    for (const [index, result] of after.entries()) {
      expect(await result.wait({ timeout: 1_000 })).toBe(['a', 'b', 'c'][index]);
    }
  });
});
