import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** The modules a fresh process has loaded after running `script` (the project's own relative to the repository). */
function loadedAfter(script: string): string[] {
  const out = execFileSync(process.execPath, ['-r', join(ROOT, 'test', 'support', 'register-ts.js'), '-e',
    `${script}; process.stdout.write(JSON.stringify(Object.keys(require.cache)))`], { cwd: ROOT, encoding: 'utf8' });
  return (JSON.parse(out) as string[]).map((file) => (file.startsWith(`${ROOT}/`) ? file.slice(ROOT.length + 1) : file));
}

// What a worker does not use stays out of its memory: the command line's subcommands (with
// commander and cli-progress), the dashboard and cron load on first use only.
describe('what the package loads', () => {
  const unused = (file: string) => /\/node_modules\/(commander|cli-progress|cron|luxon)\//.test(file) || /^src\/(cli|dashboard)\//.test(file);

  it('the index loads neither the command line, nor the dashboard, nor cron', () => {
    expect(loadedAfter("require('reflect-metadata'); require('./src')").filter(unused)).toEqual([]);
  });

  it('the dashboard and cron load when used, through the same exports', () => {
    const loaded = loadedAfter("require('reflect-metadata'); const lib = require('./src'); " +
      "if (typeof lib.TasksDashboardModule.forRoot !== 'function') throw new Error('no forRoot'); " +
      "new (require('./src/schedules/cron-ticks').CronTicks)('0 3 * * *', 'UTC')");
    expect(loaded).toContain('src/dashboard/tasks-dashboard.module.ts');
    expect(loaded.some((file) => file.includes('/node_modules/cron/'))).toBe(true);
  });
});
