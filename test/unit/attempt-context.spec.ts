import { AttemptContext } from '../../src/execution/attempt-context';
import { AttemptStop } from '../../src/execution/attempt-stop';
import { TaskRequeue } from '../../src/execution/task-attempt';
import type { AttemptHooks } from '../../src/execution/attempt-hooks';
import type { ClaimedTask } from '../../src/dialects/task-dialect.interface';
import type { TaskResult } from '../../src/entities/task-result.entity';

/** What a task sees of itself; its functions work when taken off it, and its row is built on first use only. */
describe('AttemptContext', () => {
  const task: ClaimedTask = {
    id: 'task-1', attempt: 2, taskName: 'T.run', queueName: 'default', priority: 0, args: '[]', kwargs: '{}', maxAttempts: 3,
    scheduledAt: '2026-01-02 03:04:05.678',
  };

  function context(stop = new AttemptStop()) {
    const progress: [string, string][] = [];
    let built = 0;
    const hooks: AttemptHooks = {
      workerId: 'worker-1',
      setProgress: async (of, json) => void progress.push([of.id, json]),
      taskResult: () => {
        built++;
        return { id: task.id } as TaskResult;
      },
    };
    return { context: new AttemptContext(task, stop, hooks), progress, built: () => built };
  }

  it('carries the attempt, the worker and the scheduled tick', () => {
    const { context: ctx } = context();
    expect(ctx.attempt).toBe(2);
    expect(ctx.workerId).toBe('worker-1');
    expect(ctx.scheduledAt).toEqual(new Date('2026-01-02T03:04:05.678Z'));
  });

  it('builds the row once, and only when asked', () => {
    const made = context();
    expect(made.built()).toBe(0);
    const { taskResult } = made.context;
    expect(taskResult.id).toBe('task-1');
    expect(made.context.taskResult).toBe(taskResult);
    expect(made.built()).toBe(1);
  });

  it('lets a task take its functions off it', async () => {
    const made = context();
    const { setProgress, requeue } = made.context;
    await setProgress(1, 4, 'a quarter');
    expect(made.progress).toEqual([['task-1', JSON.stringify({ current: 1, total: 4, message: 'a quarter' })]]);
    expect(made.context.setProgress).toBe(setProgress);
    expect(() => requeue(5)).toThrow(TaskRequeue);
    expect(() => requeue(-1)).toThrow(TypeError);
  });

  it('gives the stop\'s signal', () => {
    const stop = new AttemptStop();
    const { signal } = context(stop).context;
    stop.abort('gone');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('gone');
  });
});
