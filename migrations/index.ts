import { CreateTaskResults1763798400000 } from './1763798400000-create-task-results';
import { TaskResultIdsAsText1764806400000 } from './1764806400000-task-result-ids-as-text';
import { CreateTaskSchedules1764979200000 } from './1764979200000-create-task-schedules';
import { Workflows1765065600000 } from './1765065600000-workflows';
import { UniqueTasks1765152000000 } from './1765152000000-unique-tasks';
import { QueueLimits1765238400000 } from './1765238400000-queue-limits';
import { TaskWorkers1765324800000 } from './1765324800000-task-workers';
import { TaskTracing1765411200000 } from './1765411200000-task-tracing';
import { SqliteFinishedIndex1765497600000 } from './1765497600000-sqlite-finished-index';

/** Add to your DataSource's `migrations`; new versions of the package append to this list. */
export const TASKS_MIGRATIONS = [
  CreateTaskResults1763798400000, TaskResultIdsAsText1764806400000, CreateTaskSchedules1764979200000, Workflows1765065600000,
  UniqueTasks1765152000000, QueueLimits1765238400000, TaskWorkers1765324800000, TaskTracing1765411200000,
  SqliteFinishedIndex1765497600000,
];
export {
  CreateTaskResults1763798400000, TaskResultIdsAsText1764806400000, CreateTaskSchedules1764979200000, Workflows1765065600000,
  UniqueTasks1765152000000, QueueLimits1765238400000, TaskWorkers1765324800000, TaskTracing1765411200000,
  SqliteFinishedIndex1765497600000,
};
