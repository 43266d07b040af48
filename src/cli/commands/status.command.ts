import { TaskResultStatus } from '../../task-result-status.enum';
import type { CliCommand } from '../cli-command';
import { table } from '../cli-table';

const STATUSES = Object.values(TaskResultStatus);

/** `status`: the tasks of each queue per status, and how many workers are alive. */
export const statusCommand: CliCommand = {
  usage: 'status',
  description: 'count the tasks of each queue per status, and the live workers',
  async run({ tasks }) {
    const [queues, workers] = await Promise.all([tasks.queueCounts(), tasks.listWorkers()]);
    const rows = queues.map((queue) => [queue.queueName, ...STATUSES.map((status) => queue.counts[status] ?? 0)]);
    return {
      json: { queues, workers: workers.length },
      text: `${rows.length > 0 ? table(['QUEUE', ...STATUSES], rows) : 'No tasks.'}\n\n${workers.length} live worker(s).`,
    };
  },
};
