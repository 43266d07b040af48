import { TaskResultStatus } from '../../task-result-status.enum';
import type { FilterShape } from '../operations-dialect.interface';

const STATUSES = new Set<string>(Object.values(TaskResultStatus));

/**
 * The WHERE conditions of a task filter, its values bound in FilterShape's order through
 * `param(n)` (n from 1). Statuses are inlined as literals, checked against the enum here as well
 * as by the caller: literals let the planners use the partial indexes on status.
 */
export function filterConditions(shape: FilterShape, param: (n: number) => string): { where: string; params: number } {
  const conditions: string[] = [];
  for (const status of shape.statuses) if (!STATUSES.has(status)) throw new Error(`Not a task status: ${status}.`);
  if (shape.statuses.length > 0) conditions.push(`status IN (${shape.statuses.map((status) => `'${status}'`).join(', ')})`);
  let n = 0;
  if (shape.queueName) conditions.push(`queue_name = ${param(++n)}`);
  if (shape.taskName) conditions.push(`task_name = ${param(++n)}`);
  if (shape.finishedBefore) conditions.push(`finished_at < ${param(++n)}`);
  return { where: conditions.length > 0 ? conditions.join(' AND ') : '1 = 1', params: n };
}
