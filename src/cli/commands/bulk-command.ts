import type { Command } from 'commander';
import type { TaskResultStatus } from '../../task-result-status.enum';
import type { BulkOptions, TaskFilter } from '../../operations/task-filter';
import type { CliCommand, CliContext, CliOutput } from '../cli-command';
import { CliUsageError, defineFilter, filterOf, wholeNumber } from '../cli-options';

export interface BulkCommandSpec {
  verb: string;
  description: string;
  statusHelp: string;
  /** The statuses the count for the progress bar takes when --status is not given. */
  statuses: TaskResultStatus[];
  one(context: CliContext, id: string, options: Record<string, unknown>): Promise<CliOutput>;
  many(context: CliContext, filter: TaskFilter, options: BulkOptions): Promise<number>;
  define?(command: Command): void;
}

/**
 * A command that acts on one task by id, or on every task of a filter: a filter (or `--all`)
 * is required for the bulk form, so that a forgotten id never acts on everything. The bulk form
 * shows a progress bar on stderr.
 */
export function bulkCommand(spec: BulkCommandSpec): CliCommand {
  return {
    usage: `${spec.verb} [id]`,
    description: spec.description,
    define(command) {
      defineFilter(command, spec.statusHelp);
      command.option('--all', `${spec.verb} every task the command takes (required when no id or filter is given)`);
      command.option('--batch-size <n>', 'rows per statement (default 1000)', wholeNumber(1));
      spec.define?.(command);
    },
    async run(context, [id], options) {
      const filter = filterOf(options);
      if (id !== undefined) {
        if (filter || options.all) throw new CliUsageError(`${spec.verb}: give a task id or a filter (--status, --queue, --task, --all), not both.`);
        return spec.one(context, id, options);
      }
      if (!filter && !options.all) throw new CliUsageError(`${spec.verb}: give a task id, a filter (--status, --queue, --task), or --all.`);
      const scope = filter ?? {};
      const total = await context.tasks.countTasks({ status: spec.statuses, ...scope });
      const bar = context.progress(spec.verb, total);
      try {
        const count = await spec.many(context, scope, { batchSize: options.batchSize as number | undefined, onProgress: (done) => bar.update(done) });
        bar.finish(count);
        return { json: { [spec.verb]: count }, text: `${spec.verb}: ${count} task(s).` };
      } finally {
        bar.stop();
      }
    },
  };
}
