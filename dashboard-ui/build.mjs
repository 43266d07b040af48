// Builds the dashboard's front end into dashboard-ui/public (committed, shipped in the package):
// one script and one style sheet, uPlot bundled in, nothing loaded from elsewhere at run time.
// `node dashboard-ui/build.mjs [outdir]` (the test of the committed output builds into a temporary folder).
import { build } from 'esbuild';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const outdir = resolve(process.argv[2] ?? join(here, 'public'));
const common = { bundle: true, minify: true, legalComments: 'eof', logLevel: 'warning', charset: 'utf8' };

await build({ ...common, entryPoints: [join(here, 'src/main.ts')], outfile: join(outdir, 'dashboard.js'), format: 'iife', target: 'es2020' });
await build({ ...common, entryPoints: [join(here, 'src/style.css')], outfile: join(outdir, 'dashboard.css') });
