import { act, get, readOnly } from '../api';
import { h, link, progressBar, replace, statusBadge, table, time } from '../dom';
import { TaskList, STATUSES } from '../types';
import { button, runAction, View } from '../view';

/** Filters a bulk action takes; with any other filter set, the page offers no bulk action. */
const BULK_FILTERS = ['status', 'queue', 'task'];
const FILTERS = ['status', 'queue', 'task', 'group', 'q', 'since', 'until'];

/** The task list: filters in the URL (`#/tasks?status=FAILED&queue=emails`), newest first, page by page. */
export function tasksList(params: URLSearchParams): View {
  const filter = new URLSearchParams();
  for (const key of FILTERS) if (params.get(key)) filter.set(key, params.get(key)!);
  const cursor = params.get('cursor');

  const field = (name: string, label: string, type = 'text') =>
    h('label', {}, label, h('input', { name, type, value: toInput(type, filter.get(name)), placeholder: type === 'text' ? 'any' : undefined }));
  const status = h('select', { name: 'status' }, h('option', { value: '' }, 'any'),
    STATUSES.map((value) => h('option', { value, selected: filter.get('status') === value }, value)));
  const form = h('form', { className: 'filters', id: 'task-filters' },
    h('label', {}, 'Status', status), field('queue', 'Queue'), field('task', 'Task'), field('q', 'Text in args/metadata'),
    field('since', 'Enqueued from', 'datetime-local'), field('until', 'to', 'datetime-local'),
    filter.get('group') ? h('input', { type: 'hidden', name: 'group', value: filter.get('group') }) : null,
    h('button', { type: 'submit' }, 'Filter'), link('#/tasks', 'Clear'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const [key, value] of new FormData(form).entries()) {
      if (typeof value === 'string' && value !== '') next.set(key, key === 'since' || key === 'until' ? new Date(value).toISOString() : value);
    }
    location.hash = `#/tasks?${next}`;
  });

  const bulkable = [...filter.keys()].every((key) => BULK_FILTERS.includes(key));
  const body = Object.fromEntries(filter.entries());
  const described = filter.toString() ? `the tasks matching ${[...filter.entries()].map(([k, v]) => `${k}=${v}`).join(', ')}` : 'every task';
  const bulk = (label: string, path: string, danger = false) => button(label, () => {
    if (!confirm(`${label}: ${described}?`)) return;
    void runAction(label, async () => {
      const { count } = await act<{ count: number }>('POST', path, body);
      return `${label}: ${count} task${count === 1 ? '' : 's'}.`;
    }, view);
  }, { danger, name: path });
  const actions = readOnly ? null : h('div', { className: 'bulk' },
    bulkable && filter.toString()
      ? [filter.get('status') === 'READY' ? bulk('Run all matching now', 'tasks/run') : null,
        ...['Retry all matching', 'Cancel all matching', 'Delete all matching'].map((label, index) =>
          bulk(label, ['tasks/retry', 'tasks/cancel', 'tasks/delete'][index], index === 2))]
      : h('span', { className: 'hint' }, 'Bulk actions act on a filter of status, queue and task only: set one of them (and no other).'));

  const list = h('section', { id: 'task-list' });
  const title = filter.get('group') ? `Group or chain ${filter.get('group')}` : 'Tasks';
  const element = h('div', {}, h('h1', {}, title), form, actions, list);
  const view: View = {
    element,
    async refresh() {
      const query = new URLSearchParams(filter);
      if (cursor) query.set('cursor', cursor);
      const page = await get<TaskList>(`tasks?${query}`);
      const rows = page.tasks.map((task) => h('tr', { 'data-task-id': task.id },
        h('td', { className: 'mono' }, link(`#/tasks/${task.id}`, task.id)),
        h('td', {}, task.taskName), h('td', {}, statusBadge(task.status)), h('td', {}, task.queueName),
        h('td', {}, time(task.enqueuedAt)), h('td', { className: 'number' }, `${task.attempts}/${task.maxAttempts}`),
        h('td', {}, progressBar(task.progress)), h('td', { className: 'error-cell' }, task.lastError ?? ''),
        h('td', { className: 'mono preview' }, task.argsPreview)));
      const next = new URLSearchParams(filter);
      if (page.nextCursor) next.set('cursor', page.nextCursor);
      replace(list, page.tasks.length === 0 ? h('p', { className: 'empty' }, 'No task matches.')
        : table(['Id', 'Task', 'Status', 'Queue', 'Enqueued', 'Attempts', 'Progress', 'Last error', 'Arguments'], rows),
      h('nav', { className: 'pager' }, cursor ? link(`#/tasks?${filter}`, '« Newest') : null,
        page.nextCursor ? link(`#/tasks?${next}`, 'Older »') : null));
    },
  };
  return view;
}

/** An ISO time as a datetime-local input's value (local time, no zone). */
function toInput(type: string, value: string | null): string | undefined {
  if (!value) return undefined;
  if (type !== 'datetime-local') return value;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return undefined;
  return new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
}
