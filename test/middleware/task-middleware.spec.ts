import { Injectable } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  InvalidTaskError, Task, TaskContext, TaskMiddleware, TaskResultStatus, TasksModule, TaskService, TaskTimeoutError,
} from '../../src';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { waitUntil } from '../support/wait-until';

const trace: string[] = [];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

@Injectable()
class Greeter {
  greeting(): string {
    return 'hello';
  }
}

@Injectable()
class MiddlewareTasks {
  constructor(private readonly tasks: TaskService) {}

  @Task()
  async run(label: string): Promise<string> {
    trace.push(`task ${label} in ${this.tasks.context().taskResult.taskName}`);
    return label;
  }

  @Task({ timeout: 200 })
  async quick(): Promise<string> {
    trace.push('quick ran');
    return 'quick';
  }

  @Task({ maxAttempts: 2, backoff: 0 })
  async guarded(): Promise<string> {
    trace.push(`guarded attempt ${this.tasks.context().attempt}`);
    return 'guarded';
  }
}

/** A provider of the application: resolved, not created, so its own dependencies are the app's. */
@Injectable()
class Outer implements TaskMiddleware {
  static used?: Outer;

  constructor(readonly greeter: Greeter) {}

  async use(context: TaskContext, next: () => Promise<unknown>): Promise<unknown> {
    Outer.used = this;
    trace.push(`outer before ${context.taskResult.taskName} attempt ${context.attempt}`);
    const value = await next();
    trace.push('outer after');
    return value;
  }
}

/** Not a provider: created, with its constructor's dependencies injected. */
@Injectable()
class Inner implements TaskMiddleware {
  static instances = 0;

  constructor(private readonly tasks: TaskService) {
    Inner.instances++;
  }

  async use(context: TaskContext, next: () => Promise<unknown>): Promise<unknown> {
    // The task's context is entered around the middleware too.
    trace.push(`inner before, same context: ${this.tasks.context() === context}`);
    if (context.taskResult.taskName === 'MiddlewareTasks.quick') await sleep(400);
    if (context.taskResult.taskName === 'MiddlewareTasks.guarded' && context.attempt === 1) throw new Error('refused by middleware');
    const value = await next();
    trace.push('inner after');
    return typeof value === 'string' ? `${value}!` : value;
  }
}

const instance: TaskMiddleware = {
  async use(_context, next) {
    trace.push('instance');
    return next();
  },
};

const MIDDLEWARE = [Outer, Inner, instance];

function describeFor(backend: 'database' | 'immediate'): void {
  describe(`middleware on the ${backend} backend`, () => {
    let db: TestDatabase | null;
    let t: TestApp;
    let running: Promise<unknown> | undefined;

    beforeEach(async () => {
      trace.length = 0;
      db = backend === 'database' ? await createTestDatabase() : null;
      t = await createTestApp(db, [MiddlewareTasks, Greeter, Outer], { backend, middleware: MIDDLEWARE });
      if (backend === 'database') running = t.worker.run({ pollInterval: 20 });
    });
    afterEach(async () => {
      await t.worker.stop();
      await running;
      await t.close();
      await db?.cleanup();
    });

    it('runs around each attempt, middleware[0] outermost; its return value is the attempt\'s', async () => {
      const task = await t.tasks.enqueue(MiddlewareTasks, 'run', ['a']);
      expect(await task.wait()).toBe('a!');
      expect(trace).toEqual([
        'outer before MiddlewareTasks.run attempt 1',
        'inner before, same context: true',
        'instance',
        'task a in MiddlewareTasks.run',
        'inner after',
        'outer after',
      ]);
      // The provider is the application's own instance; the other class was created once.
      expect(Outer.used).toBe(t.app.get(Outer));
      expect(Outer.used!.greeter).toBeInstanceOf(Greeter);
      expect(Inner.instances).toBeGreaterThan(0);
    });

    it('a middleware that throws fails the attempt like the task would, and the retry runs', async () => {
      const task = await t.tasks.enqueue(MiddlewareTasks, 'guarded', []);
      expect(await task.wait()).toBe('guarded!');
      await task.refresh();
      expect(task.errors).toEqual([expect.objectContaining({ name: 'Error', message: 'refused by middleware', attempt: 1 })]);
      expect(trace.filter((line) => line.startsWith('guarded'))).toEqual(['guarded attempt 2']);
    });

    it('middleware time counts toward the task\'s timeout', async () => {
      const task = await t.tasks.enqueue(MiddlewareTasks, 'quick', []);
      await expect(task.wait()).rejects.toThrow();
      await task.refresh();
      expect(task.status).toBe(TaskResultStatus.FAILED);
      expect(task.errors).toEqual([expect.objectContaining({ name: TaskTimeoutError.name })]);
      // The time ran out inside the middleware: once it calls next(), the task does not start.
      await waitUntil(() => trace.includes('instance'), 5_000, 'the middleware called next()');
      expect(trace).not.toContain('quick ran');
    });
  });
}

describeFor('database');
describeFor('immediate');

describe('middleware options', () => {
  it('forRootAsync takes middleware in its static part', async () => {
    trace.length = 0;
    const db = await createTestDatabase();
    const module = TasksModule.forRootAsync({ useFactory: () => ({ backend: 'immediate' as const }), middleware: [instance] });
    const t = await createTestApp(null, [MiddlewareTasks], {}, [TypeOrmModule.forRoot(db.options)], undefined, module);
    try {
      expect(await (await t.tasks.enqueue(MiddlewareTasks, 'run', ['b'])).wait()).toBe('b');
      expect(trace).toEqual(['instance', 'task b in MiddlewareTasks.run']);
    } finally {
      await t.close();
      await db.cleanup();
    }
  });

  it.each([
    ['a string', 'Outer'],
    ['an object without use()', { handle: () => undefined }],
    ['null', null],
  ])('an entry that is %s is refused at start-up', async (_what, entry) => {
    await expect(createTestApp(null, [MiddlewareTasks], { backend: 'immediate', middleware: [entry as never] }))
      .rejects.toThrow(InvalidTaskError);
  });
});
