/** Calls of the dashboard's JSON API, relative to the page (the server writes the base into the page). */
const base = document.body.dataset.api ?? './api';

/** Whether the server refuses actions (no guards, or readOnly): the page then shows none. */
export const readOnly = document.body.dataset.readOnly === 'true';

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export async function get<T>(path: string): Promise<T> {
  return call<T>('GET', path);
}

/** A state-changing call: it carries X-Tasks-Dashboard, which a cross-site form cannot send. */
export async function act<T>(method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  return call<T>(method, path, body);
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (method !== 'GET') headers['X-Tasks-Dashboard'] = '1';
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`${base}/${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, (data as { message?: string } | null)?.message ?? `${response.status} ${response.statusText}`);
  return data as T;
}
