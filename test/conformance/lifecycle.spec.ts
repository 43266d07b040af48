import { TaskResult, TaskResultStatus, TaskFailedError, TaskNotFinishedError, TaskResultNotFoundError } from '../../src';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { SampleTasks } from '../fixtures/sample-tasks';

describe('task lifecycle', () => {
  let db: TestDatabase;
  let t: TestApp;

  beforeEach(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db, [SampleTasks]);
    SampleTasks.calls = [];
  });
  afterEach(async () => {
    await t.close();
    await db.cleanup();
  });

  it('enqueues a READY task and a batch worker runs it to SUCCESSFUL', async () => {
    const result = await t.tasks.enqueue(SampleTasks, 'add', [2, 3]);
    expect(result).toBeInstanceOf(TaskResult);
    expect(result.status).toBe(TaskResultStatus.READY);
    expect(result.taskName).toBe('SampleTasks.add');
    expect(result.queueName).toBe('default');
    expect(result.args).toEqual([2, 3]);
    expect(() => result.returnValue).toThrow(TaskNotFinishedError);

    const summary = await t.worker.run({ batch: true });
    expect(summary).toMatchObject({ claimed: 1, reason: 'batch-drained' });

    await result.refresh();
    expect(result.status).toBe(TaskResultStatus.SUCCESSFUL);
    expect(result.returnValue).toBe(5);
    expect(result.isFinished).toBe(true);
    expect(result.attempts).toBe(1);
    expect(result.workerIds).toEqual([summary.workerId]);
    expect(result.startedAt).toBeInstanceOf(Date);
    expect(result.finishedAt!.getTime()).toBeGreaterThanOrEqual(result.startedAt!.getTime());
    expect(result.errors).toEqual([]);

    const same = await t.tasks.getResult<number>(result.id);
    expect(same.returnValue).toBe(5);
  });

  it('records failures with a TaskError and returnValue throws TaskFailedError', async () => {
    const result = await t.tasks.enqueue(SampleTasks, 'fail', ['boom']);
    await t.worker.run({ batch: true });
    await result.refresh();
    expect(result.status).toBe(TaskResultStatus.FAILED);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({ name: 'Error', message: 'boom', attempt: 1 });
    expect(result.errors[0].traceback).toContain('boom');
    expect(() => result.returnValue).toThrow(TaskFailedError);
  });

  it('getResult of an unknown or malformed id throws TaskResultNotFoundError', async () => {
    await expect(t.tasks.getResult('0190a0a0-0000-7000-8000-000000000000')).rejects.toThrow(TaskResultNotFoundError);
    await expect(t.tasks.getResult('not-an-id')).rejects.toThrow(TaskResultNotFoundError);
  });
});
