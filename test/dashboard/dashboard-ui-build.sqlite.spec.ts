import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** The shipped front end (dashboard-ui/public, committed) is what its sources build to. */
describe('dashboard front end build', () => {
  it('dashboard-ui/public matches a fresh build of dashboard-ui/src (run `npm run build:dashboard` after editing it)', () => {
    const out = mkdtempSync(join(tmpdir(), 'dashboard-ui-'));
    try {
      execFileSync(process.execPath, [join(ROOT, 'dashboard-ui', 'build.mjs'), out], { stdio: 'pipe' });
      for (const file of ['dashboard.js', 'dashboard.css']) {
        expect(readFileSync(join(out, file), 'utf8')).toBe(readFileSync(join(ROOT, 'dashboard-ui', 'public', file), 'utf8'));
      }
      // Nothing is loaded from elsewhere at run time.
      expect(readFileSync(join(out, 'dashboard.js'), 'utf8')).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
