import { TaskResultStatus } from '../../task-result-status.enum';
import { bulkCommand } from './bulk-command';

/**
 * `run-now ID` or `run-now --queue/--task/--all`. Not `run`: the worker entry takes `run` as
 * "run the worker" (`node worker.js run --queue emails`).
 */
export const runNowCommand = bulkCommand({
  verb: 'run-now',
  description: 'make a READY task scheduled for later due now (by id), or every one of a filter',
  statusHelp: 'READY (the default and the only status it takes)',
  statuses: [TaskResultStatus.READY],
  async one({ tasks }, id) {
    const result = await tasks.runNow(id);
    return { json: result.toJSON(), text: `Task ${id} is ${result.status}, due since ${result.runAfter.toISOString()}.` };
  },
  many: ({ tasks }, filter, options) => tasks.runNowMany(filter, options),
});
