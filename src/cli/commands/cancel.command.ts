import { TaskResultStatus } from '../../task-result-status.enum';
import { bulkCommand } from './bulk-command';

/** `cancel ID` or `cancel --status/--queue/--task/--all`. */
export const cancelCommand = bulkCommand({
  verb: 'cancel',
  description: 'cancel a READY, WAITING or RUNNING task (by id), or every one of a filter',
  statusHelp: 'READY, WAITING and/or RUNNING, comma-separated (default: all three)',
  statuses: [TaskResultStatus.READY, TaskResultStatus.WAITING, TaskResultStatus.RUNNING],
  async one({ tasks }, id) {
    const result = await tasks.cancel(id);
    return { json: result.toJSON(), text: `Task ${id} is ${result.status}.` };
  },
  many: ({ tasks }, filter, options) => tasks.cancelMany(filter, options),
});
