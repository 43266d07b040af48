import { TasksError } from '../../task.errors';

export function missingTableError(): TasksError {
  return new TasksError(
    'The table task_results does not exist. Add TASKS_MIGRATIONS to your DataSource migrations and run them ' +
      '(migrationsRun: true, or `typeorm migration:run`).',
  );
}
