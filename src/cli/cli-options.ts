import { Command, InvalidArgumentError, Option } from 'commander';
import { TaskResultStatus } from '../task-result-status.enum';
import type { TaskFilter } from '../operations/task-filter';

const STATUSES = Object.values(TaskResultStatus) as string[];

/** A comma-separated list of statuses, any case. */
export function statusList(value: string): TaskResultStatus[] {
  const statuses = value.split(',').map((status) => status.trim().toUpperCase());
  for (const status of statuses) {
    if (!STATUSES.includes(status)) throw new InvalidArgumentError(`"${status}" is not a status (${STATUSES.join(', ')}).`);
  }
  return statuses as TaskResultStatus[];
}

/** A whole number of at least `min`. */
export function wholeNumber(min: number): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value) || Number(value) < min) throw new InvalidArgumentError(`must be a whole number of at least ${min}.`);
    return Number(value);
  };
}

function nonEmpty(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('must not be empty.');
  return value;
}

/** --status, --queue and --task: the filter of list and the bulk commands. */
export function defineFilter(command: Command, statusHelp: string): void {
  command
    .addOption(new Option('--status <statuses>', statusHelp).argParser(statusList))
    .addOption(new Option('--queue <name>', 'tasks of this queue').argParser(nonEmpty))
    .addOption(new Option('--task <name>', 'tasks of this task name').argParser(nonEmpty));
}

/** The filter the options give; null when they give none. */
export function filterOf(options: Record<string, unknown>): TaskFilter | null {
  const filter: TaskFilter = {};
  if (options.status !== undefined) filter.status = options.status as TaskResultStatus[];
  if (options.queue !== undefined) filter.queueName = options.queue as string;
  if (options.task !== undefined) filter.taskName = options.task as string;
  return Object.keys(filter).length > 0 ? filter : null;
}

/** A usage error raised after parsing (exit code 2, like a bad flag). */
export class CliUsageError extends Error {}
