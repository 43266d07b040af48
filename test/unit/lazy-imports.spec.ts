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
// commander and cli-progress) and cron load on first use only; @nestjs/schedule (which loads cron)
// only with the application's ScheduleModule. (The dashboard's module stays a
// plain export: an ES module importing it by name needs it as one, and it weighs under 1.5 MB.)
describe('what the package loads', () => {
  const unused = (file: string) => /(^|\/)node_modules\/(commander|cli-progress|cron|luxon)\//.test(file) || /^src\/cli\//.test(file);

  it('the index loads neither the command line nor cron', () => {
    expect(loadedAfter("require('reflect-metadata'); require('./src')").filter(unused)).toEqual([]);
  });

  it('@nestjs/schedule is looked for, not loaded: found once the application has loaded it', () => {
    const find = "const { findNestSchedulerRegistry } = require('./src/schedules/nest-schedule'); " +
      "const found = findNestSchedulerRegistry({ get: (token) => ({ token: token.name }) }); ";
    const without = loadedAfter(`require('reflect-metadata'); ${find} if (found !== null) throw new Error('found')`);
    expect(without.filter((file) => /(^|\/)node_modules\/(@nestjs\/schedule|cron)\//.test(file))).toEqual([]);
    const withIt = loadedAfter(`require('reflect-metadata'); require('@nestjs/schedule'); ${find} ` +
      "if (found?.token !== 'SchedulerRegistry') throw new Error('not found')");
    expect(withIt.some((file) => /(^|\/)node_modules\/@nestjs\/schedule\//.test(file))).toBe(true);
  });

  it('cron loads with the first schedule', () => {
    const loaded = loadedAfter("require('reflect-metadata'); require('./src'); " +
      "new (require('./src/schedules/cron-ticks').CronTicks)('0 3 * * *', 'UTC')");
    expect(loaded.some((file) => /(^|\/)node_modules\/cron\//.test(file))).toBe(true);
  });
});
