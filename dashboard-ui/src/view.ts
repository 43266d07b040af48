import { h, replace } from './dom';

/** One page of the dashboard: built once, then `refresh()` redraws its live part from the API. */
export interface View {
  element: HTMLElement;
  refresh(): Promise<void>;
  /** Milliseconds between refreshes while the tab is visible; default 2 000. */
  interval?: number;
}

const flash = h('div', { id: 'flash', role: 'status' });

export function flashElement(): HTMLElement {
  return flash;
}

/** Shows the outcome of an action (or an error) above the page. */
export function notify(message: string, kind: 'ok' | 'error' = 'ok'): void {
  replace(flash, h('p', { className: `flash flash-${kind}` }, message));
}

/** Runs an action of a button, shows what came of it, then refreshes the view. */
export async function runAction(label: string, action: () => Promise<string | void>, view: { refresh(): Promise<void> }): Promise<void> {
  try {
    const message = await action();
    notify(message ?? `${label}: done.`);
  } catch (error) {
    notify(`${label} failed: ${(error as Error).message}`, 'error');
  }
  await view.refresh();
}

export function button(label: string, onClick: () => void, options: { danger?: boolean; name?: string } = {}): HTMLButtonElement {
  return h('button', { type: 'button', className: options.danger ? 'danger' : undefined, 'data-action': options.name ?? label.toLowerCase(), onclick: onClick }, label);
}
