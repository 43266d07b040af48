import type { CliCommand } from '../cli-command';
import { isoOrDash, table } from '../cli-table';

/** `schedules`: every periodic schedule. */
export const schedulesCommand: CliCommand = {
  usage: 'schedules',
  description: 'list the periodic schedules',
  async run({ tasks }) {
    const schedules = await tasks.listSchedules();
    return {
      json: schedules,
      text: schedules.length === 0 ? 'No schedules.' : table(['ID', 'TASK', 'CRON', 'ZONE', 'PAUSED', 'NEXT RUN', 'LAST RUN'],
        schedules.map((s) => [s.id, s.taskName, s.cron, s.timeZone, s.paused ? 'yes' : 'no', isoOrDash(s.nextRunAt), isoOrDash(s.lastRunAt)])),
    };
  },
};
