import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { TaskResult } from '../../src';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { SampleTasks } from '../fixtures/sample-tasks';

@Injectable()
class ResultsReader {
  constructor(@InjectRepository(TaskResult) readonly repository: Repository<TaskResult>) {}
}

/**
 * Strings that are JSON texts themselves: a value parsed once too often changes type or loses
 * digits. Every way of reading a result must give back exactly what the task returned.
 */
const VALUES: unknown[] = ['42', 'true', 'null', '{"a":1}', '"quoted"', '12345678901234567890', '', ' 7 ', '[1,2]',
  42, 12.5, true, null, { a: '1', b: ['2', null] }, ['42', '"x"']];

describe('return values come back exactly as returned', () => {
  let db: TestDatabase;
  let t: TestApp;
  let reader: ResultsReader;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db, [SampleTasks, ResultsReader]);
    reader = t.app.get(ResultsReader);
  });
  afterAll(async () => {
    await t.close();
    await db.cleanup();
  });

  it.each(VALUES.map((value) => [JSON.stringify(value), value]))('%s through getResult, refresh, wait and the user\'s repository', async (_, value) => {
    const enqueued = await t.tasks.enqueue(SampleTasks, 'echo', [value]);
    const waited = enqueued.wait({ timeout: 10_000 });
    await t.worker.run({ batch: true });
    expect(await waited).toStrictEqual(value);

    expect((await t.tasks.getResult(enqueued.id)).returnValue).toStrictEqual(value);
    const mine = await reader.repository.findOneByOrFail({ id: enqueued.id });
    expect(mine.returnValue).toStrictEqual(value);
    expect((await mine.refresh()).returnValue).toStrictEqual(value);
    const [found] = await reader.repository.find({ where: { id: enqueued.id } });
    expect(found.storedReturnValue).toStrictEqual(value);
  });
});
