import { TaskResult } from '../entities/task-result.entity';
import { bindTaskResult, getTaskResultSource } from '../entities/task-result.source';
import { TasksError } from '../task.errors';

/** The results of the tasks `result` depends on, in `dependsOn` order (forgotten ones left out). */
export async function dependenciesOf(result: TaskResult): Promise<TaskResult[]> {
  const source = getTaskResultSource(result);
  if (!source) throw new TasksError('This TaskResult is not bound to a TasksModule.');
  const ids = await source.dependencyIds(result.id);
  const rows = await Promise.all(ids.map((id) => source.load(id)));
  return rows.filter((row) => row !== null).map((row) => bindTaskResult(Object.assign(new TaskResult(), row), source));
}
