import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TasksDashboardModule, TasksModule } from 'nestjs-tasks';
import { databaseOptions } from './database.config';
import { ReportsController } from './reports/reports.controller';
import { REPORTS_QUEUE, ReportTasks } from './reports/report.tasks';
import { TasksController } from './tasks/tasks.controller';

const QUEUES = ['default', REPORTS_QUEUE];

/**
 * The sample application. The HTTP API (`main.ts`) and the worker (`worker.ts`) start this same
 * module: the worker needs the task providers, the API needs TaskService to enqueue.
 */
@Module({
  imports: [
    // Options are read from the environment when the application starts (see database.config.ts).
    TypeOrmModule.forRootAsync({ useFactory: () => databaseOptions() }),
    TasksModule.forRoot({ queues: QUEUES, worker: { queues: QUEUES } }),
    // The dashboard at /dashboard. Without guards it answers this machine only (loopback, no
    // proxy headers); the sample also lets it act (retry, cancel, pause…) so the demo can show
    // it. An application reachable by others passes its own guards instead:
    // TasksDashboardModule.forRoot({ path: '/dashboard', guards: [AdminGuard] }).
    TasksDashboardModule.forRoot({ path: '/dashboard', unsafeAllowUnauthenticated: true }),
  ],
  controllers: [ReportsController, TasksController],
  providers: [ReportTasks],
})
export class AppModule {}
