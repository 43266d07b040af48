import type { CliCommand } from '../cli-command';
import type { TaskQueueInfo } from '../../queues/task-queue.interface';

/** `pause QUEUE` and `resume QUEUE`: stored in the database, so every worker on every machine obeys. */
function queueCommand(verb: 'pause' | 'resume'): CliCommand {
  return {
    usage: `${verb} <queue>`,
    description: verb === 'pause' ? 'stop every worker claiming a queue (running tasks finish)' : 'let workers claim a paused queue again',
    async run({ tasks }, [name]) {
      await (verb === 'pause' ? tasks.pauseQueue(name) : tasks.resumeQueue(name));
      const queue: TaskQueueInfo | undefined = (await tasks.listQueues()).find((listed) => listed.name === name);
      return { json: queue ?? { name, paused: verb === 'pause' }, text: `Queue ${name} ${verb === 'pause' ? 'paused' : 'resumed'}.` };
    },
  };
}

export const pauseCommand = queueCommand('pause');
export const resumeCommand = queueCommand('resume');
