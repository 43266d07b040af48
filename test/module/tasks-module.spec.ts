import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  DummyBackend, DuplicateTaskError, Task, TaskResultStatus, TasksModule, TaskService, TASK_BACKEND, TasksOptionsFactory, TaskWorker,
} from '../../src';
import { createTestApp } from '../support/test-app';
import { createTestDatabase } from '../support/test-database';
import { SampleTasks } from '../fixtures/sample-tasks';

describe('TasksModule', () => {
  describe('immediate backend', () => {
    it('runs the task inside enqueue and records the outcome, with no database', async () => {
      const t = await createTestApp(null, [SampleTasks], { backend: 'immediate' });
      const result = await t.tasks.enqueue(SampleTasks, 'add', [2, 2]);
      expect(result.status).toBe(TaskResultStatus.SUCCESSFUL);
      expect(result.returnValue).toBe(4);
      expect(result.backend).toBe('immediate');
      const flaky = await t.tasks.enqueue(SampleTasks, 'flaky', [1]);
      expect(flaky.returnValue).toBe('ok after 2');
      expect(flaky.errors).toHaveLength(1);
      const failed = await t.tasks.enqueue(SampleTasks, 'fail', ['x']);
      expect(failed.status).toBe(TaskResultStatus.FAILED);
      expect(await t.tasks.getResult(result.id)).toBe(result);
      await expect(t.worker.run()).rejects.toThrow(/database backend/);
      await t.close();
    });
  });

  describe('dummy backend', () => {
    it('stores tasks in memory and runs nothing, for assertions', async () => {
      const t = await createTestApp(null, [SampleTasks], { backend: 'dummy' });
      SampleTasks.calls = [];
      const result = await t.tasks.enqueue(SampleTasks, 'record', ['x']);
      expect(result.status).toBe(TaskResultStatus.READY);
      const backend = t.app.get<DummyBackend>(TASK_BACKEND);
      expect(backend).toBeInstanceOf(DummyBackend);
      expect(backend.results.map((r) => [r.taskName, r.args])).toEqual([['SampleTasks.record', ['x']]]);
      expect(SampleTasks.calls).toEqual([]);
      expect((await t.tasks.cancel(result.id)).status).toBe(TaskResultStatus.CANCELLED);
      backend.clear();
      expect(backend.results).toEqual([]);
      await t.close();
    });
  });

  it('forRootAsync with useFactory and useClass', async () => {
    const db = await createTestDatabase();
    @Injectable()
    class TasksConfig implements TasksOptionsFactory {
      createTasksOptions() {
        return { queues: ['default'] };
      }
    }
    for (const tasksModule of [
      TasksModule.forRootAsync({ useFactory: async () => ({ queues: ['default'] }) }),
      TasksModule.forRootAsync({ useClass: TasksConfig }),
    ]) {
      const moduleRef = await Test.createTestingModule({
        imports: [TypeOrmModule.forRoot(db.options), tasksModule],
        providers: [SampleTasks],
      }).compile();
      const app = await moduleRef.init();
      const tasks = app.get(TaskService);
      const result = await tasks.enqueue(SampleTasks, 'add', [1, 2]);
      await expect(tasks.enqueue(SampleTasks, 'add', [1, 2], { queueName: 'emails' })).rejects.toThrow(/queues/);
      await app.get(TaskWorker).run({ batch: true });
      expect(await result.wait()).toBe(3);
      await app.close();
    }
    await db.cleanup();
  });

  it('uses a named TypeORM connection given as dataSource', async () => {
    const db = await createTestDatabase();
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'better-sqlite3', database: ':memory:', entities: [] }),
        TypeOrmModule.forRoot({ ...db.options, name: 'jobs' }),
        TasksModule.forRoot({ dataSource: 'jobs' }),
      ],
      providers: [SampleTasks],
    }).compile();
    const app = await moduleRef.init();
    const result = await app.get(TaskService).enqueue(SampleTasks, 'add', [5, 6]);
    await app.get(TaskWorker).run({ batch: true });
    expect(await result.wait()).toBe(11);
    await app.close();
    await db.cleanup();
  });

  it('refuses two tasks with one name at start-up, naming both methods', async () => {
    @Injectable()
    class First {
      @Task({ name: 'send' })
      run() {}
    }
    @Injectable()
    class Second {
      @Task({ name: 'send' })
      go() {}
    }
    const error = await createTestApp(null, [First, Second], { backend: 'dummy' }).catch((e) => e);
    expect(error).toBeInstanceOf(DuplicateTaskError);
    expect(error.message).toContain('First.run');
    expect(error.message).toContain('Second.go');
  });

  it('refuses an invalid @Task() option at start-up', async () => {
    @Injectable()
    class Bad {
      @Task({ priority: 500 })
      run() {}
    }
    await expect(createTestApp(null, [Bad], { backend: 'dummy' })).rejects.toThrow(/priority/);
  });

  it('finds tasks in providers of imported modules', async () => {
    @Injectable()
    class Mailer {
      @Task({ queueName: 'emails' })
      async send(to: string): Promise<{ to: string }> {
        return { to };
      }
    }
    @Module({ providers: [Mailer] })
    class MailModule {}
    const t = await createTestApp(null, [], { backend: 'immediate' }, [MailModule]);
    const result = await t.tasks.enqueue(Mailer, 'send', ['ann@example.com']);
    expect(result.returnValue).toEqual({ to: 'ann@example.com' });
    await t.close();
  });

  it('names the missing migrations when the table does not exist', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [TypeOrmModule.forRoot({ type: 'better-sqlite3', database: ':memory:', entities: [] }), TasksModule.forRoot()],
    }).compile();
    await expect(moduleRef.init()).rejects.toThrow(/TASKS_MIGRATIONS/);
  });
});
