import { CreateTaskResults1763798400000 } from './1763798400000-create-task-results';

/** Add to your DataSource's `migrations`; new versions of the package append to this list. */
export const TASKS_MIGRATIONS = [CreateTaskResults1763798400000];
export { CreateTaskResults1763798400000 };
