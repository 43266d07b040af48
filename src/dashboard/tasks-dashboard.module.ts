import { Controller, DynamicModule, Module, Type } from '@nestjs/common';
import { DashboardApiController } from './dashboard-api.controller';
import { DashboardPageController, DASHBOARD_ASSETS } from './dashboard-page.controller';
import { DashboardAccessGuard } from './dashboard-access.guard';
import { DashboardErrorsFilter } from './dashboard-errors.filter';
import { DashboardDatabase } from './dashboard-database';
import { DashboardTasksReader } from './dashboard-tasks.reader';
import { DashboardStatsReader } from './dashboard-stats.reader';
import { loadDashboardAssets } from './dashboard-assets';
import { resolveDashboardOptions } from './dashboard-options.resolve';
import { TASKS_DASHBOARD_OPTIONS, TasksDashboardOptions } from './tasks-dashboard.options';

/**
 * A web page and its JSON API over the application's tasks, on the application's own HTTP
 * server (Express or Fastify). Import it next to `TasksModule`:
 * `TasksDashboardModule.forRoot({ path: '/tasks', guards: [AdminGuard] })`.
 */
@Module({})
export class TasksDashboardModule {
  static forRoot(options: TasksDashboardOptions = {}): DynamicModule {
    const resolved = resolveDashboardOptions(options);
    return {
      module: TasksDashboardModule,
      controllers: [
        mounted(DashboardPageController, resolved.path),
        mounted(DashboardApiController, `${resolved.path === '/' ? '' : resolved.path}/api`),
      ],
      providers: [
        { provide: TASKS_DASHBOARD_OPTIONS, useValue: resolved },
        { provide: DASHBOARD_ASSETS, useFactory: () => loadDashboardAssets() },
        DashboardAccessGuard, DashboardErrorsFilter, DashboardDatabase, DashboardTasksReader, DashboardStatsReader,
      ],
    };
  }
}

/**
 * The controller's routes at `path`: a subclass per `forRoot()`, since Nest reads a controller's
 * path from its class, and the shared class must keep none of its own.
 */
function mounted<T>(controller: Type<T>, path: string): Type<T> {
  const subclass = class extends (controller as Type<object>) {} as Type<T>;
  Object.defineProperty(subclass, 'name', { value: controller.name });
  Controller(path)(subclass);
  return subclass;
}
