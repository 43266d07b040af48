import { Injectable, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { runWorker, Task, TaskResultStatus, TasksModule, TasksModuleRootOptions } from '../../src';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';

@Injectable()
class QueueTasks {
  @Task({ queueName: 'emails' })
  async email(to: string): Promise<string> {
    return `sent to ${to}`;
  }

  @Task({ queueName: 'reports' })
  async report(name: string): Promise<string> {
    return `report ${name}`;
  }

  @Task()
  async plain(): Promise<string> {
    return 'plain';
  }
}

/** `runWorker(AppModule)` with no `queues` serves what the application declared. */
describe('runWorker default queues', () => {
  let db: TestDatabase;
  let t: TestApp;

  beforeEach(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db, [QueueTasks]);
  });
  afterEach(async () => {
    await t.close();
    await db.cleanup();
  });

  const workerModule = (options: TasksModuleRootOptions) => {
    @Module({ imports: [TypeOrmModule.forRoot(db.options), TasksModule.forRoot(options)], providers: [QueueTasks] })
    class WorkerModule {}
    return WorkerModule;
  };
  const drain = (options: TasksModuleRootOptions, argv: string[] = []) =>
    runWorker(workerModule(options), { exit: false, logger: false, argv: ['--batch', ...argv] });

  it('serves every queue TasksModule declares', async () => {
    const email = await t.tasks.enqueue(QueueTasks, 'email', ['ann@example.com']);
    const plain = await t.tasks.enqueue(QueueTasks, 'plain', []);
    const report = await t.tasks.enqueue(QueueTasks, 'report', ['q3']);
    await drain({ queues: ['default', 'emails'] });
    expect((await email.refresh()).status).toBe(TaskResultStatus.SUCCESSFUL);
    expect((await plain.refresh()).status).toBe(TaskResultStatus.SUCCESSFUL);
    // Not declared by that application: left for a worker of one that declares it.
    expect((await report.refresh()).status).toBe(TaskResultStatus.READY);
  });

  it('serves every queue when TasksModule declares none', async () => {
    const email = await t.tasks.enqueue(QueueTasks, 'email', ['bob@example.com']);
    const report = await t.tasks.enqueue(QueueTasks, 'report', ['q4']);
    await drain({});
    expect((await email.refresh()).status).toBe(TaskResultStatus.SUCCESSFUL);
    expect((await report.refresh()).status).toBe(TaskResultStatus.SUCCESSFUL);
  });

  it('keeps the queues a flag or the module\'s worker option names', async () => {
    const email = await t.tasks.enqueue(QueueTasks, 'email', ['cy@example.com']);
    const report = await t.tasks.enqueue(QueueTasks, 'report', ['q1']);
    await drain({ queues: ['default', 'emails', 'reports'] }, ['--queue', 'reports']);
    expect((await email.refresh()).status).toBe(TaskResultStatus.READY);
    expect((await report.refresh()).status).toBe(TaskResultStatus.SUCCESSFUL);
    await drain({ worker: { queues: ['emails'] } });
    expect((await email.refresh()).status).toBe(TaskResultStatus.SUCCESSFUL);
  });
});
