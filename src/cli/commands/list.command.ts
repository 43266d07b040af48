import { Option } from 'commander';
import type { CliCommand } from '../cli-command';
import { defineFilter, filterOf, wholeNumber } from '../cli-options';
import { isoOrDash, table } from '../cli-table';

/** `list`: tasks matching the filter, newest first. */
export const listCommand: CliCommand = {
  usage: 'list',
  description: 'list tasks, newest first',
  define(command) {
    defineFilter(command, 'statuses, comma-separated (default: all)');
    command.addOption(new Option('--limit <n>', 'at most n tasks (1-10000)').argParser(wholeNumber(1)).default(50));
  },
  async run({ tasks }, _args, options) {
    const results = await tasks.listTasks(filterOf(options) ?? {}, { limit: options.limit as number });
    return {
      json: results.map((result) => result.toJSON()),
      text: results.length === 0 ? 'No tasks.' : table(['ID', 'STATUS', 'QUEUE', 'TASK', 'ATTEMPTS', 'ENQUEUED', 'FINISHED'],
        results.map((r) => [r.id, r.status, r.queueName, r.taskName, `${r.attempts}/${r.maxAttempts}`, isoOrDash(r.enqueuedAt), isoOrDash(r.finishedAt)])),
    };
  },
};
