import { TaskResultStatus } from '../../task-result-status.enum';
import { bulkCommand } from './bulk-command';

/** `retry ID` or `retry --status/--queue/--task/--all`. */
export const retryCommand = bulkCommand({
  verb: 'retry',
  description: 'run a FAILED or CANCELLED task again (by id), or every one of a filter',
  statusHelp: 'FAILED and/or CANCELLED, comma-separated (default: both)',
  statuses: [TaskResultStatus.FAILED, TaskResultStatus.CANCELLED],
  define: (command) => command.option('--dependents', 'with an id: also the dependents its failure cancelled'),
  async one({ tasks }, id, options) {
    const result = await tasks.retry(id, { dependents: options.dependents === true });
    return { json: result.toJSON(), text: `Task ${id} is ${result.status} again (attempt ${result.attempts + 1} of ${result.maxAttempts}).` };
  },
  many: ({ tasks }, filter, options) => tasks.retryMany(filter, options),
});
