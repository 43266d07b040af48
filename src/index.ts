export { TasksModule } from './tasks.module';
export { Task } from './decorators/task.decorator';
export { TaskService } from './task.service';
export { TaskResult } from './entities/task-result.entity';
export type { TaskProgress, WaitOptions } from './entities/task-result.entity';
export { TaskResultStatus } from './task-result-status.enum';
export type { TaskError } from './interfaces/task-error.interface';
export type { TaskContext } from './task-context';
export { OnTaskEvent } from './events/on-task-event.decorator';
export type { TaskEventName, OnTaskEventOptions } from './events/task-event.types';
export type { TaskMiddleware, TaskMiddlewareEntry } from './execution/task-middleware';
export { TaskWorker } from './worker/task.worker';
export type { WorkerSummary } from './worker/task.worker';
export { runWorker } from './worker/run-worker';
export type { RunWorkerOptions } from './worker/run-worker';
export { parseWorkerFlags } from './worker/worker-flags';
export {
  TASKS_MIGRATIONS, CreateTaskResults1763798400000, TaskResultIdsAsText1764806400000, CreateTaskSchedules1764979200000, Workflows1765065600000,
  QueueLimits1765238400000,
  TaskWorkers1765324800000,
  TaskTracing1765411200000,
  UniqueTasks1765152000000,
  SqliteFinishedIndex1765497600000,
} from '../migrations';
export { call, pipe, TaskCall, PipeCall } from './workflows/task-call';
export type { CallOptions, PipeOptions, GroupValues, ChainStep } from './workflows/task-call';
export { TaskGroup } from './workflows/task-group';
export { TaskChain } from './workflows/task-chain';
export type { ScheduleOptions, TaskSchedule } from './schedules/task-schedule.interface';
export type { TaskQueueInfo } from './queues/task-queue.interface';
export type { QueueLimits, QueuesOption, RateLimit } from './limits/queue-limits';
export { SCHEDULER_INTERVAL_NAME } from './schedules/task.scheduler';
export { TasksDashboardModule } from './dashboard/tasks-dashboard.module';
export type { TasksDashboardOptions, DashboardGuard } from './dashboard/tasks-dashboard.options';
export { runMigrationsExclusively } from './run-migrations-exclusively';
export { TASK_BACKEND, TASKS_MODULE_OPTIONS } from './tasks.constants';
export { DummyBackend, MemoryBackend } from './backends/memory.backend';
export { ImmediateBackend } from './backends/immediate.backend';
export type { TaskBackend } from './backends/task-backend.interface';
export type { TaskOptions, BackoffFunction } from './interfaces/task-options.interface';
export type { WorkerOptions } from './interfaces/worker-options.interface';
export type { TaskTelemetryOptions } from './telemetry/task-telemetry-options';
export type {
  TasksModuleOptions, TasksModuleAsyncOptions, TasksModuleRootOptions, TasksOptionsFactory, TaskBackendName,
} from './interfaces/tasks-module-options.interface';
export type {
  EnqueueOptions, EnqueueWithKwargs, PruneOptions, TaskArgs, TaskMethodName, TaskReturn, DependencyRef, WorkflowOptions,
  DebounceOptions,
} from './interfaces/task-types';
export {
  TasksError,
  InvalidTaskError,
  DuplicateTaskError,
  InvalidTaskArgumentsError,
  TaskPayloadTooLargeError,
  InvalidTaskReturnValueError,
  UnknownTaskError,
  CorruptTaskRowError,
  TaskResultNotFoundError,
  TaskNotFinishedError,
  TaskFailedError,
  TaskCancelledError,
  TaskWaitTimeoutError,
  TaskTimeoutError,
  WorkerLostError,
  TaskContextError,
  InvalidWorkerOptionError,
  TaskScheduleNotFoundError,
  DependencyFailedError,
  TaskConcurrencyKeyError,
  TaskNotRetryableError,
  TaskKeyConflictError,
  TaskThrottledError,
} from './task.errors';
export type { TaskFilter, BulkOptions } from './operations/task-filter';
export type { QueueCounts } from './operations/task-operations.service';
export type { TaskWorkerInfo } from './workers/task-worker-info';
