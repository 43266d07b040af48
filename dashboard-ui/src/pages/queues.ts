import { act, get, readOnly } from '../api';
import { h, link, ms, replace, table } from '../dom';
import { Queue, STATUSES } from '../types';
import { button, runAction, View } from '../view';

/** Queues with their counts per status, whether paused, their limits; pause and resume. */
export function queues(): View {
  const list = h('section', { id: 'queue-list' });
  const view: View = {
    element: h('div', {}, h('h1', {}, 'Queues'), list),
    async refresh() {
      const { queues } = await get<{ queues: Queue[] }>('queues');
      const path = (queue: Queue, action: string) => `queues/${encodeURIComponent(queue.name)}/${action}`;
      replace(list, table(['Queue', ...STATUSES, 'State', 'Limits', readOnly ? '' : 'Actions'], queues.map((queue) => h('tr', { 'data-queue': queue.name },
        h('td', {}, link(`#/tasks?queue=${encodeURIComponent(queue.name)}`, queue.name)),
        STATUSES.map((status) => h('td', { className: 'number' }, String(queue.counts[status] ?? 0))),
        h('td', { className: 'queue-state' }, queue.paused ? 'paused' : 'active'),
        h('td', {}, limits(queue)),
        h('td', {}, readOnly ? null : queue.paused
          ? button('Resume', () => void runAction('Resume', () => act('POST', path(queue, 'resume')).then(() => `Queue ${queue.name} resumed.`), view))
          : button('Pause', () => void runAction('Pause', () => act('POST', path(queue, 'pause')).then(() => `Queue ${queue.name} paused: no worker claims its tasks.`), view)))))));
    },
  };
  return view;
}

function limits(queue: Queue): string {
  const parts: string[] = [];
  if (queue.globalConcurrency !== undefined) parts.push(`at most ${queue.globalConcurrency} running`);
  if (queue.rateLimit) parts.push(`${queue.rateLimit.limit} started per ${ms(queue.rateLimit.interval)}`);
  return parts.join(', ') || 'none';
}
