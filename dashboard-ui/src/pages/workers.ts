import { get } from '../api';
import { h, replace, table, time } from '../dom';
import { Worker } from '../types';
import { View } from '../view';

/** Workers recorded in the database, with their last heartbeat and how many tasks they run. */
export function workers(): View {
  const list = h('section', { id: 'worker-list' });
  return {
    element: h('div', {}, h('h1', {}, 'Workers'), list),
    async refresh() {
      const { workers } = await get<{ workers: Worker[] }>('workers');
      replace(list, workers.length === 0 ? h('p', { className: 'empty' }, 'No worker is running.') : table(
        ['Id', 'Host', 'PID', 'Queues', 'Concurrency', 'Running', 'Started', 'Last heartbeat'],
        workers.map((worker) => h('tr', { 'data-worker': worker.id }, h('td', { className: 'mono' }, worker.id), h('td', {}, worker.host),
          h('td', { className: 'number' }, String(worker.pid)), h('td', {}, worker.queues ? worker.queues.join(', ') : 'all'),
          h('td', { className: 'number' }, String(worker.concurrency)), h('td', { className: 'number' }, String(worker.running)),
          h('td', {}, time(worker.startedAt)), h('td', {}, time(worker.lastHeartbeatAt))))));
    },
  };
}
