import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TasksError } from '../task.errors';

/** The built front end (dashboard-ui/, built by its own esbuild script), as served. */
export interface DashboardAssets {
  script: string;
  style: string;
  /** Changes with the content: asset URLs carry it, so browsers may cache them for good. */
  version: string;
}

const ASSETS = join('dashboard-ui', 'public');

/**
 * Finds dashboard-ui/public above this file: the package root is two folders up from the
 * compiled `dist/src/dashboard/` and one from `src/dashboard/` when run from the sources.
 */
export function loadDashboardAssets(from: string = __dirname): DashboardAssets {
  let dir = from;
  for (;;) {
    const candidate = join(dir, ASSETS);
    if (existsSync(join(candidate, 'dashboard.js'))) {
      const script = readFileSync(join(candidate, 'dashboard.js'), 'utf8');
      const style = readFileSync(join(candidate, 'dashboard.css'), 'utf8');
      const version = createHash('sha256').update(script).update(style).digest('hex').slice(0, 12);
      return { script, style, version };
    }
    const parent = dirname(dir);
    if (parent === dir) throw new TasksError(`The tasks dashboard's front end (${ASSETS}/dashboard.js) is missing from the package above ${from}.`);
    dir = parent;
  }
}
