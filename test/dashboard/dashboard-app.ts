import { DynamicModule, INestApplication, Injectable, LoggerService } from '@nestjs/common';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Task, TasksDashboardModule, TasksDashboardOptions, TasksModule, TaskService, TaskWorker } from '../../src';
import type { TestDatabase } from '../support/test-database';

export type Platform = 'express' | 'fastify';

/** Tasks whose results the dashboard tests look at. */
@Injectable()
export class DashboardTasks {
  constructor(private readonly tasks: TaskService) {}

  @Task({ name: 'dash.add', queueName: 'default' })
  async add(a: number, b: number): Promise<number> {
    return a + b;
  }

  @Task({ name: 'dash.fail', queueName: 'emails' })
  async fail(message: string): Promise<never> {
    throw new RangeError(message);
  }

  @Task({ name: 'dash.progress' })
  async progress(steps: number): Promise<number> {
    for (let step = 1; step <= steps; step++) await this.tasks.context().setProgress(step, steps, `step ${step}`);
    return steps;
  }
}

const silent: LoggerService = { log() {}, error() {}, warn() {}, debug() {}, verbose() {}, fatal() {} };

export interface DashboardTestApp {
  app: INestApplication;
  tasks: TaskService;
  worker: TaskWorker;
  close(): Promise<void>;
}

/** An HTTP application on `db` with TasksModule, the dashboard and `DashboardTasks`, on Express or Fastify. */
export async function createDashboardApp(
  db: TestDatabase, platform: Platform, dashboard: TasksDashboardOptions,
  options: { globalPrefix?: string; imports?: DynamicModule[]; providers?: any[] } = {},
): Promise<DashboardTestApp> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      TypeOrmModule.forRoot(db.options),
      TasksModule.forRoot({ queues: { default: {}, emails: { globalConcurrency: 2, rateLimit: { limit: 10, interval: 1000 } } } }),
      TasksDashboardModule.forRoot(dashboard),
      ...(options.imports ?? []),
    ],
    providers: [DashboardTasks, ...(options.providers ?? [])],
  }).setLogger(silent).compile();
  const app = platform === 'fastify'
    ? moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false })
    : moduleRef.createNestApplication({ logger: false });
  if (options.globalPrefix) app.setGlobalPrefix(options.globalPrefix);
  await app.init();
  if (platform === 'fastify') await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  return { app, tasks: app.get(TaskService), worker: app.get(TaskWorker), close: () => app.close() };
}
