import { act, ApiError, get, readOnly } from '../api';
import { h, json, link, ms, progressBar, replace, statusBadge, table, time } from '../dom';
import { TaskDetail, TaskSummary } from '../types';
import { button, notify, runAction, View } from '../view';

const FINISHED = ['SUCCESSFUL', 'FAILED', 'CANCELLED'];

/** Every field of one task, its errors with tracebacks, its attempts, dependencies and dependents; live. */
export function taskDetail(id: string): View {
  const content = h('div', { id: 'task-detail' });
  const element = h('div', {}, h('h1', {}, 'Task ', h('span', { className: 'mono' }, id)), content);
  const view: View = {
    element,
    interval: 1000,
    async refresh() {
      let task: TaskDetail;
      try {
        task = await get<TaskDetail>(`tasks/${encodeURIComponent(id)}`);
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) {
          replace(content, h('p', { className: 'empty' }, 'No such task (deleted, pruned, or never existed).'));
          return;
        }
        throw error;
      }
      const finished = FINISHED.includes(task.status);
      const actions = readOnly ? null : h('div', { className: 'actions' },
        task.status === 'FAILED' || task.status === 'CANCELLED'
          ? button('Retry', () => void runAction('Retry', async () => {
            await act('POST', `tasks/${encodeURIComponent(id)}/retry`);
            return 'Retried: the task is READY again.';
          }, view)) : null,
        (task.status === 'FAILED' || task.status === 'CANCELLED') && task.dependents.some((dependent) => dependent.status === 'CANCELLED')
          ? button('Retry with dependents', () => void runAction('Retry with dependents', async () => {
            await act('POST', `tasks/${encodeURIComponent(id)}/retry`, { dependents: true });
            return 'Retried: the task is READY again, and the dependents its failure cancelled wait for it.';
          }, view), { name: 'retry-dependents' }) : null,
        // Due or not by this browser's clock: the server leaves a task already due as it is.
        task.status === 'READY' && task.runAfter !== null && Date.parse(task.runAfter) > Date.now()
          ? button('Run now', () => void runAction('Run now', async () => {
            await act('POST', `tasks/${encodeURIComponent(id)}/run`);
            return 'Due now: the next free worker runs it.';
          }, view), { name: 'run-now' }) : null,
        !finished ? button('Cancel', () => void runAction('Cancel', async () => {
          await act('POST', `tasks/${encodeURIComponent(id)}/cancel`);
          return 'Cancelled (a running task stops when it sees its signal).';
        }, view), { danger: true }) : null,
        finished ? button('Delete', () => {
          if (!confirm(`Delete task ${id}?`)) return;
          act('DELETE', `tasks/${encodeURIComponent(id)}`).then(() => {
            notify(`Task ${id} deleted.`);
            location.hash = '#/tasks';
          }, (error: Error) => notify(`Delete failed: ${error.message}`, 'error'));
        }, { danger: true }) : null);

      const fields: [string, Node | string][] = [
        ['Status', statusBadge(task.status)],
        ['Task', link(`#/tasks?task=${encodeURIComponent(task.taskName)}`, task.taskName)],
        ['Queue', link(`#/tasks?queue=${encodeURIComponent(task.queueName)}`, task.queueName)],
        ['Priority', String(task.priority)],
        ['Progress', progressBar(task.progress) ?? '—'],
        ['Attempts', `${task.attempts} of ${task.maxAttempts}`],
        ['Enqueued', time(task.enqueuedAt)], ['Run after', time(task.runAfter)], ['Started', time(task.startedAt)],
        ['Last attempt', time(task.lastAttemptedAt)], ['Finished', time(task.finishedAt)], ['Duration', ms(task.duration)],
        ['Scheduled tick', time(task.scheduledAt)], ['Claimed by', task.claimedBy ?? '—'], ['Lease until', time(task.leaseExpiresAt)],
        ['Cancel requested', task.cancelRequested ? 'yes' : 'no'], ['Backend', task.backend],
        ['Group or chain', task.groupId ? link(`#/tasks?group=${encodeURIComponent(task.groupId)}`, task.groupId) : '—'],
      ];
      replace(content, actions,
        h('dl', { className: 'fields' }, fields.map(([name, value]) => [h('dt', {}, name), h('dd', { 'data-field': name }, value)])),
        h('h2', {}, 'Arguments'), h('pre', { id: 'task-args' }, json(task.args)),
        Object.keys(task.kwargs ?? {}).length ? [h('h2', {}, 'Keyword arguments'), h('pre', {}, json(task.kwargs))] : null,
        task.metadata ? [h('h2', {}, 'Metadata'), h('pre', {}, json(task.metadata))] : null,
        task.status === 'SUCCESSFUL' ? [h('h2', {}, 'Return value'), h('pre', { id: 'task-return-value' }, json(task.returnValue))] : null,
        h('h2', {}, 'Attempts'), task.workerIds.length === 0 ? h('p', { className: 'empty' }, 'Not started yet.')
          : table(['#', 'Worker', 'Error'], task.workerIds.map((worker, index) => {
            const error = task.errors.find((e) => e.attempt === index + 1);
            return h('tr', {}, h('td', {}, String(index + 1)), h('td', { className: 'mono' }, worker), h('td', {}, error ? `${error.name}: ${error.message}` : ''));
          })),
        task.errors.length ? [h('h2', {}, 'Errors'), task.errors.map((error) => h('div', { className: 'task-error' },
          h('h3', {}, `Attempt ${error.attempt} · ${error.name} · ${time(error.failedAt)}`), h('p', {}, error.message),
          h('pre', { className: 'traceback' }, error.traceback || '(no traceback)')))] : null,
        relatives('Dependencies (run before this one)', task.dependencies),
        relatives('Dependents (wait for this one)', task.dependents));
    },
  };
  return view;
}

function relatives(title: string, tasks: TaskSummary[]): Node[] {
  if (tasks.length === 0) return [];
  return [h('h2', {}, title), h('ul', { className: 'graph' }, tasks.map((task) =>
    h('li', {}, statusBadge(task.status), ' ', link(`#/tasks/${task.id}`, task.taskName), ' ', h('span', { className: 'mono dim' }, task.id))))];
}
