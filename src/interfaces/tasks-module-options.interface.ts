import { InjectionToken, ModuleMetadata, OptionalFactoryDependency, Type } from '@nestjs/common';
import { WorkerOptions } from './worker-options.interface';
import type { TaskMiddlewareEntry } from '../execution/task-middleware';
import type { QueuesOption } from '../limits/queue-limits';
import type { TaskTelemetryOptions } from '../telemetry/task-telemetry-options';

export type TaskBackendName = 'database' | 'immediate' | 'dummy';

export interface TasksModuleOptions {
  /** `database` (default) stores tasks for workers; `immediate` runs them inside `enqueue`; `dummy` stores them in memory and runs nothing. */
  backend?: TaskBackendName;
  /**
   * Valid queue names; omitted: any. As an object, the names with their limits, enforced by every
   * worker of this application across all workers of the database (`{ emails: { globalConcurrency: 5 }, default: {} }`).
   */
  queues?: QueuesOption;
  /** Largest accepted `args` + `kwargs`, in bytes of JSON; default 1 MiB. */
  maxPayloadSize?: number;
  /** Defaults for `TaskWorker.run()` and `runWorker()`; flags and explicit options win. */
  worker?: WorkerOptions;
  /**
   * OpenTelemetry traces and metrics: on by default when `@opentelemetry/api` is installed (a
   * no-op until an SDK registers providers); `false` turns them off; an object names providers.
   */
  telemetry?: boolean | TaskTelemetryOptions;
}

export interface TasksOptionsFactory {
  createTasksOptions(): Promise<TasksModuleOptions> | TasksModuleOptions;
}

export interface TasksModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  useFactory?: (...args: any[]) => Promise<TasksModuleOptions> | TasksModuleOptions;
  inject?: (InjectionToken | OptionalFactoryDependency)[];
  useClass?: Type<TasksOptionsFactory>;
  useExisting?: Type<TasksOptionsFactory>;
  /** Name of the TypeORM connection to use (as given to `TypeOrmModule.forRoot({ name })`). */
  dataSource?: string;
  /** Runs around every attempt; `middleware[0]` is the outermost. Classes are resolved from the application's providers, else created. */
  middleware?: TaskMiddlewareEntry[];
}

export interface TasksModuleRootOptions extends TasksModuleOptions {
  /** Name of the TypeORM connection to use (as given to `TypeOrmModule.forRoot({ name })`). */
  dataSource?: string;
  /** Runs around every attempt; `middleware[0]` is the outermost. Classes are resolved from the application's providers, else created. */
  middleware?: TaskMiddlewareEntry[];
}
