import type { CliCommand } from '../cli-command';
import { isoOrDash, table } from '../cli-table';

/** `workers`: the live workers of the worker registry. */
export const workersCommand: CliCommand = {
  usage: 'workers',
  description: 'list the live workers',
  async run({ tasks }) {
    const workers = await tasks.listWorkers();
    return {
      json: workers,
      text: workers.length === 0 ? 'No live workers.' : table(['ID', 'HOST', 'PID', 'QUEUES', 'RUNNING', 'STARTED', 'LAST HEARTBEAT'],
        workers.map((w) => [w.id, w.host, w.pid, w.queues?.join(',') ?? '*', `${w.running}/${w.concurrency}`, isoOrDash(w.startedAt),
          isoOrDash(w.lastHeartbeatAt)])),
    };
  },
};
