import { act, get, readOnly } from '../api';
import { h, link, replace, table, time } from '../dom';
import { Schedule } from '../types';
import { button, runAction, View } from '../view';

/** Schedules with their next and last runs; pause, resume, run now. */
export function schedules(): View {
  const list = h('section', { id: 'schedule-list' });
  const view: View = {
    element: h('div', {}, h('h1', {}, 'Schedules'), list),
    async refresh() {
      const { schedules } = await get<{ schedules: Schedule[] }>('schedules');
      const path = (schedule: Schedule, action: string) => `schedules/${encodeURIComponent(schedule.id)}/${action}`;
      replace(list, schedules.length === 0 ? h('p', { className: 'empty' }, 'No schedule.') : table(
        ['Id', 'Task', 'Cron', 'Zone', 'State', 'Next run', 'Last run', readOnly ? '' : 'Actions'],
        schedules.map((schedule) => h('tr', { 'data-schedule': schedule.id },
          h('td', { className: 'mono' }, schedule.id), h('td', {}, link(`#/tasks?task=${encodeURIComponent(schedule.taskName)}`, schedule.taskName)),
          h('td', { className: 'mono' }, schedule.cron), h('td', {}, schedule.timeZone), h('td', {}, schedule.paused ? 'paused' : 'active'),
          h('td', {}, time(schedule.nextRunAt)),
          h('td', {}, schedule.lastTaskId ? link(`#/tasks/${schedule.lastTaskId}`, time(schedule.lastRunAt)) : time(schedule.lastRunAt)),
          h('td', {}, readOnly ? null : [
            schedule.paused
              ? button('Resume', () => void runAction('Resume', () => act('POST', path(schedule, 'resume')).then(() => `Schedule ${schedule.id} resumed.`), view))
              : button('Pause', () => void runAction('Pause', () => act('POST', path(schedule, 'pause')).then(() => `Schedule ${schedule.id} paused.`), view)),
            button('Run now', () => void runAction('Run now', () => act('POST', path(schedule, 'trigger')).then(() => `Schedule ${schedule.id}: one run enqueued.`), view), { name: 'trigger' }),
          ])))));
    },
  };
  return view;
}
