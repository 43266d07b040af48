import { CreateTaskResults1763798400000 } from './1763798400000-create-task-results';
import { TaskResultIdsAsText1764806400000 } from './1764806400000-task-result-ids-as-text';
import { CreateTaskSchedules1764979200000 } from './1764979200000-create-task-schedules';
import { Workflows1765065600000 } from './1765065600000-workflows';
import { UniqueTasks1765152000000 } from './1765152000000-unique-tasks';

/** Add to your DataSource's `migrations`; new versions of the package append to this list. */
export const TASKS_MIGRATIONS = [
  CreateTaskResults1763798400000, TaskResultIdsAsText1764806400000, CreateTaskSchedules1764979200000, Workflows1765065600000,
  UniqueTasks1765152000000,
];
export { CreateTaskResults1763798400000, TaskResultIdsAsText1764806400000, CreateTaskSchedules1764979200000, Workflows1765065600000,
  UniqueTasks1765152000000 };
