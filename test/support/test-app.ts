import { DynamicModule, INestApplicationContext, LoggerService, Provider, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TasksModule, TasksModuleRootOptions, TaskService, TaskWorker } from '../../src';
import { TestDatabase } from './test-database';

export interface TestApp {
  app: INestApplicationContext;
  tasks: TaskService;
  worker: TaskWorker;
  close(): Promise<void>;
}

/** A Nest application context with TypeORM on `db`, TasksModule and the given task providers. */
export async function createTestApp(
  db: TestDatabase | null,
  providers: Provider[],
  tasksOptions: TasksModuleRootOptions = {},
  imports: (Type<unknown> | DynamicModule)[] = [],
  logger: LoggerService = { log() {}, error() {}, warn() {}, debug() {}, verbose() {}, fatal() {} },
  tasksModule: DynamicModule = TasksModule.forRoot(tasksOptions),
): Promise<TestApp> {
  const moduleRef = await Test.createTestingModule({
    imports: [...(db ? [TypeOrmModule.forRoot(db.options)] : []), tasksModule, ...imports],
    providers,
  })
    .setLogger(logger)
    .compile();
  const app = await moduleRef.init();
  return {
    app,
    tasks: app.get(TaskService),
    worker: app.get(TaskWorker),
    close: () => app.close(),
  };
}
