import { DynamicModule, Module, Provider, Type } from '@nestjs/common';
import { DiscoveryModule, ModuleRef } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TaskResult } from './entities/task-result.entity';
import { TASK_BACKEND, TASK_WORKER_STORE, TASKS_MODULE_OPTIONS } from './tasks.constants';
import type {
  TasksModuleAsyncOptions, TasksModuleOptions, TasksModuleRootOptions, TasksOptionsFactory,
} from './interfaces/tasks-module-options.interface';
import { TaskRegistry } from './task.registry';
import { TaskExplorer } from './task.explorer';
import { TaskEvents } from './task.events';
import { TaskService } from './task.service';
import { TaskExecutor } from './execution/task.executor';
import { TASK_MIDDLEWARE, TaskMiddlewareChain } from './execution/task-middleware.chain';
import type { TaskMiddlewareEntry } from './execution/task-middleware';
import { TaskEventBus } from './events/task-event.bus';
import { TaskWorker } from './worker/task.worker';
import { DatabaseBackend } from './backends/database.backend';
import { ImmediateBackend } from './backends/immediate.backend';
import { DummyBackend } from './backends/memory.backend';
import type { TaskBackend } from './backends/task-backend.interface';
import { InvalidTaskError } from './task.errors';
import { TaskSchedules } from './schedules/task-schedules.service';
import { TaskQueues } from './queues/task-queues.service';
import { TaskOperations } from './operations/task-operations.service';
import { ATTEMPT_HOOK } from './execution/attempt-hook';
import { createTaskTelemetry } from './telemetry/task.telemetry';
import { TASK_TELEMETRY } from './telemetry/enqueue-telemetry';
import type { WorkerStore } from './interfaces/worker-store.interface';

/**
 * Background tasks stored in the application's database. Global: import it once, in the root
 * module, after `TypeOrmModule.forRoot()`.
 */
@Module({})
export class TasksModule {
  static forRoot(options: TasksModuleRootOptions = {}): DynamicModule {
    const { dataSource, middleware, ...moduleOptions } = options;
    const usesDatabase = (options.backend ?? 'database') === 'database';
    return this.build(
      { provide: TASKS_MODULE_OPTIONS, useValue: moduleOptions },
      [],
      usesDatabase ? TypeOrmModule.forFeature([TaskResult], dataSource) : undefined,
      dataSource,
      middleware,
    );
  }

  static forRootAsync(options: TasksModuleAsyncOptions): DynamicModule {
    return this.build(
      this.asyncOptionsProvider(options),
      options.imports ?? [],
      TypeOrmModule.forFeature([TaskResult], options.dataSource),
      options.dataSource,
      options.middleware,
      options.useClass ? [{ provide: options.useClass, useClass: options.useClass }] : [],
    );
  }

  private static build(
    optionsProvider: Provider,
    imports: NonNullable<DynamicModule['imports']>,
    entityFeature: DynamicModule | undefined,
    dataSource: string | undefined,
    middleware: TaskMiddlewareEntry[] = [],
    extra: Provider[] = [],
  ): DynamicModule {
    if (!Array.isArray(middleware)) throw new InvalidTaskError('TasksModule option middleware must be an array of classes or objects.');
    const feature = entityFeature ? [entityFeature] : [];
    const backendProvider: Provider = {
      provide: TASK_BACKEND,
      inject: [TASKS_MODULE_OPTIONS, ModuleRef, TaskEvents, TaskEventBus, TaskExecutor],
      useFactory: (options: TasksModuleOptions, moduleRef: ModuleRef, events: TaskEvents, bus: TaskEventBus, executor: TaskExecutor): TaskBackend => {
        switch (options.backend ?? 'database') {
          case 'database':
            return new DatabaseBackend(moduleRef, events, bus, dataSource);
          case 'immediate':
            return new ImmediateBackend(events, bus, executor);
          case 'dummy':
            return new DummyBackend(events, bus);
          default:
            throw new InvalidTaskError(`TasksModule option backend must be 'database', 'immediate' or 'dummy', got ${JSON.stringify(options.backend)}.`);
        }
      },
    };
    // The worker runs tasks from a database; the in-memory backends give it nothing to run.
    const workerStoreProvider: Provider = {
      provide: TASK_WORKER_STORE,
      inject: [TASK_BACKEND],
      useFactory: (backend: TaskBackend) => (backend instanceof DatabaseBackend ? backend.workerStore() : null),
    };
    const telemetryProviders: Provider[] = [
      {
        provide: TASK_TELEMETRY,
        inject: [TASKS_MODULE_OPTIONS, ModuleRef],
        // The store is looked up when the gauge is read: the backend, through the executor, depends on this.
        useFactory: (options: TasksModuleOptions, moduleRef: ModuleRef) => createTaskTelemetry(options.telemetry,
          (options.backend ?? 'database') === 'database' ? () => moduleRef.get<WorkerStore | null>(TASK_WORKER_STORE, { strict: false }) : null),
      },
      { provide: ATTEMPT_HOOK, useExisting: TASK_TELEMETRY },
    ];
    return {
      module: TasksModule,
      global: true,
      imports: [DiscoveryModule, ...imports, ...feature],
      providers: [
        optionsProvider, ...extra, backendProvider, workerStoreProvider, ...telemetryProviders, { provide: TASK_MIDDLEWARE, useValue: middleware },
        TaskRegistry, TaskExplorer, TaskEvents, TaskEventBus, TaskMiddlewareChain, TaskExecutor, TaskSchedules, TaskQueues, TaskOperations, TaskService, TaskWorker,
      ],
      // Re-exporting the TypeORM feature module makes @InjectRepository(TaskResult) work anywhere.
      exports: [TASKS_MODULE_OPTIONS, TASK_BACKEND, TaskService, TaskWorker, TaskRegistry, ...feature],
    };
  }

  private static asyncOptionsProvider(options: TasksModuleAsyncOptions): Provider {
    if (options.useFactory) {
      return { provide: TASKS_MODULE_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] };
    }
    const factory = (options.useClass ?? options.useExisting) as Type<TasksOptionsFactory> | undefined;
    if (!factory) throw new InvalidTaskError('TasksModule.forRootAsync() needs useFactory, useClass or useExisting.');
    return {
      provide: TASKS_MODULE_OPTIONS,
      useFactory: (instance: TasksOptionsFactory) => instance.createTasksOptions(),
      inject: [factory],
    };
  }
}
