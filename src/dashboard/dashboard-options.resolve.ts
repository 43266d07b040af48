import { InvalidTaskError } from '../task.errors';
import type { ResolvedDashboardOptions, TasksDashboardOptions } from './tasks-dashboard.options';

const DEFAULT_PATH = '/tasks';

/** Checks the options of `TasksDashboardModule.forRoot()` at start-up; `InvalidTaskError` names the bad one. */
export function resolveDashboardOptions(options: TasksDashboardOptions = {}): ResolvedDashboardOptions {
  const { path = DEFAULT_PATH, guards = [], readOnly = false, unsafeAllowUnauthenticated = false } = options;
  if (typeof path !== 'string' || !/^\/?[A-Za-z0-9._~\-/]*$/.test(path) || path.includes('//')) {
    throw new InvalidTaskError(`TasksDashboardModule option path must be a URL path such as '/tasks', got ${JSON.stringify(path)}.`);
  }
  if (!Array.isArray(guards)) throw new InvalidTaskError('TasksDashboardModule option guards must be an array of guard classes or instances.');
  guards.forEach((guard, index) => {
    const valid = typeof guard === 'function' || (typeof guard === 'object' && guard !== null && typeof guard.canActivate === 'function');
    if (!valid) throw new InvalidTaskError(`TasksDashboardModule option guards[${index}] is neither a class nor an object with canActivate().`);
  });
  const unauthenticated = guards.length === 0;
  return {
    path: `/${path.replace(/^\/+|\/+$/g, '')}`,
    guards,
    readOnly: readOnly === true || (unauthenticated && unsafeAllowUnauthenticated !== true),
    loopbackOnly: unauthenticated,
  };
}
