/**
 * Builds DOM nodes. Text always goes in as text nodes (never as HTML), so whatever a task's
 * arguments, errors or return value contain is shown as written, never run.
 */
type Child = Node | string | number | null | undefined | false | Child[];
type Props = Record<string, string | number | boolean | undefined | null | ((event: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') element.addEventListener(key.replace(/^on/, '').toLowerCase(), value);
    else if (key === 'className') element.className = String(value);
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the content of `parent` with `children`. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

export function time(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return date.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}

export function ms(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  if (value < 1000) return `${Math.round(value)} ms`;
  if (value < 60_000) return `${(value / 1000).toFixed(1)} s`;
  return `${(value / 60_000).toFixed(1)} min`;
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? 'undefined';
}

export function statusBadge(status: string): HTMLElement {
  return h('span', { className: `status status-${status.toLowerCase()}`, 'data-status': status }, status);
}

export function progressBar(progress: { current: number; total: number | null; message: string | null } | null): HTMLElement | null {
  if (!progress) return null;
  const percent = progress.total ? Math.min(100, Math.round((progress.current / progress.total) * 100)) : null;
  const meter = h('progress', { max: progress.total ?? undefined, value: progress.current });
  return h('span', { className: 'progress' }, meter, ` ${progress.current}${progress.total ? ` / ${progress.total}` : ''}`,
    percent !== null ? ` (${percent}%)` : '', progress.message ? ` — ${progress.message}` : '');
}

export function link(href: string, ...children: Child[]): HTMLAnchorElement {
  return h('a', { href }, ...children);
}

export function table(headers: string[], rows: Node[]): HTMLTableElement {
  return h('table', {}, h('thead', {}, h('tr', {}, headers.map((text) => h('th', {}, text)))), h('tbody', {}, rows));
}
