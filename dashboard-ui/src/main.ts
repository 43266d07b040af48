import { h, replace } from './dom';
import { flashElement, notify, View } from './view';
import { overview } from './pages/overview';
import { tasksList } from './pages/tasks';
import { taskDetail } from './pages/task-detail';
import { queues } from './pages/queues';
import { schedules } from './pages/schedules';
import { workers } from './pages/workers';
import { readOnly } from './api';

/**
 * The dashboard: hash routes (`#/tasks/ID`), so the server serves one page at one path. Live by
 * polling the JSON API every second or two while the tab is visible (see README: why not SSE).
 */
const NAV: [string, string][] = [['#/', 'Overview'], ['#/tasks', 'Tasks'], ['#/queues', 'Queues'], ['#/schedules', 'Schedules'], ['#/workers', 'Workers']];

const main = h('main', {});
const nav = h('nav', { className: 'top' }, h('strong', {}, 'Tasks'), NAV.map(([href, label]) => h('a', { href, 'data-nav': label }, label)),
  readOnly ? h('span', { className: 'read-only' }, 'read-only') : null);
replace(document.getElementById('app')!, nav, flashElement(), main);

let current: View | null = null;
let timer: number | undefined;
let generation = 0;

function route(): View {
  const [path, query = ''] = location.hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(query);
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'tasks' && parts[1]) return taskDetail(parts[1]);
  if (parts[0] === 'tasks') return tasksList(params);
  if (parts[0] === 'queues') return queues();
  if (parts[0] === 'schedules') return schedules();
  if (parts[0] === 'workers') return workers();
  return overview();
}

async function tick(own: number): Promise<void> {
  if (own !== generation || !current) return;
  if (document.visibilityState === 'visible') {
    try {
      await current.refresh();
      document.body.dataset.updated = new Date().toISOString();
    } catch (error) {
      notify(`Could not load: ${(error as Error).message}`, 'error');
    }
  }
  if (own === generation) timer = window.setTimeout(() => void tick(own), current.interval ?? 2000);
}

function show(): void {
  window.clearTimeout(timer);
  const own = ++generation;
  current = route();
  for (const link of nav.querySelectorAll('a')) link.classList.toggle('active', location.hash.startsWith(link.getAttribute('href')!) && link.getAttribute('href') !== '#/' || (link.getAttribute('href') === '#/' && (location.hash === '' || location.hash === '#/')));
  replace(main, current.element);
  void tick(own);
}

window.addEventListener('hashchange', () => {
  replace(flashElement());
  show();
});
show();
