import { Option } from 'commander';
import { FINISHED_STATUSES } from '../../task-result-status.enum';
import type { PruneOptions } from '../../interfaces/task-types';
import type { CliCommand } from '../cli-command';
import { CliUsageError, statusList, wholeNumber } from '../cli-options';

/** `prune --older-than MS` (or `--all`): deletes finished results, as TaskService.prune(). */
export const pruneCommand: CliCommand = {
  usage: 'prune',
  description: 'delete finished results (with --older-than MS, by the database clock, or --all)',
  define(command) {
    command
      .addOption(new Option('--older-than <ms>', 'finished more than ms ago').argParser(wholeNumber(0)))
      .addOption(new Option('--status <statuses>', 'SUCCESSFUL, FAILED and/or CANCELLED (default: all three)').argParser(statusList))
      .option('--queue <names>', 'queues, comma-separated (default: all)')
      .option('--all', 'every finished result, whenever it finished');
  },
  async run({ tasks }, _args, options) {
    if (options.olderThan === undefined && !options.all) throw new CliUsageError('prune: give --older-than MS, or --all.');
    const deleted = await tasks.prune({
      olderThan: (options.olderThan as number | undefined) ?? 0,
      statuses: (options.status ?? [...FINISHED_STATUSES]) as PruneOptions['statuses'],
      queues: options.queue === undefined ? undefined : String(options.queue).split(',').map((queue) => queue.trim()),
    });
    return { json: { deleted }, text: `Deleted ${deleted} finished result(s).` };
  },
};
