import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The version in the package's own package.json. It is looked up from this file's folder
 * upwards because the file runs from `src/` in this repository and from `dist/src/` once
 * installed, at different depths.
 */
export function packageVersion(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'nestjs-tasks' && manifest.version) return manifest.version;
    } catch {
      // No package.json here (or not readable): keep going up.
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}
