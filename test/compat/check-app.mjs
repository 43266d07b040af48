// Runs one built compatibility application the way its README tells a user to: the API
// (`node dist/main.js`), a task enqueued over HTTP, a separate worker process
// (`node dist/worker.js`, no flags), and the task read back SUCCESSFUL over HTTP.
// Usage: node check-app.mjs APP_DIR EXPECTED_VERSION. The database comes from the environment
// (SQLITE_FILE or DATABASE_URL). Exits 0 when every step passed; says which step failed otherwise.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const [appDir, expectedVersion] = process.argv.slice(2);
const manifest = JSON.parse(readFileSync(join(appDir, 'package.json'), 'utf8'));
const children = [];

function step(name) {
  console.log(`-- ${name}`);
}

function fail(message) {
  throw new Error(message);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function start(args, env = {}) {
  const child = spawn(process.execPath, args, { cwd: appDir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  const handle = { child, exited, output: () => output };
  children.push(handle);
  return handle;
}

async function until(what, timeoutMs, probe) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await sleep(200);
  }
  fail(`${what} within ${timeoutMs} ms${last ? ` (${last.message})` : ''}`);
}

async function main() {
  step('build output');
  for (const output of manifest.compat.outputs) {
    if (!existsSync(join(appDir, output))) fail(`${output} is missing after the build`);
  }

  step('worker --version');
  const version = start(['dist/worker.js', '--version']);
  if ((await version.exited) !== 0 || version.output().trim() !== expectedVersion) {
    fail(`node dist/worker.js --version printed ${JSON.stringify(version.output().trim())}, expected ${expectedVersion}`);
  }

  step('API start');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const api = start(['dist/main.js'], { PORT: String(port) });
  // A malformed id read through the application's own repository is a 404 on every database.
  await until('the API answering GET /greetings/nope with 404', 60_000, async () => {
    if (api.child.exitCode !== null) fail(`the API exited with ${api.child.exitCode}:\n${api.output()}`);
    const response = await fetch(`${base}/greetings/nope`);
    if (response.status === 404) return true;
    fail(`GET /greetings/nope answered ${response.status}: ${await response.text()}`);
  });

  step('enqueue over HTTP');
  const posted = await fetch(`${base}/greetings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Ann' }),
  });
  const task = await posted.json();
  if (posted.status !== 202 || task.status !== 'READY') fail(`POST /greetings answered ${posted.status} ${JSON.stringify(task)}`);

  step('separate worker process');
  const worker = start(['dist/worker.js']);
  const done = await until('the task SUCCESSFUL over HTTP', 60_000, async () => {
    if (worker.child.exitCode !== null) fail(`the worker exited with ${worker.child.exitCode}:\n${worker.output()}`);
    const body = await (await fetch(`${base}/greetings/${task.id}`)).json();
    if (body.status === 'SUCCESSFUL') return body;
    if (body.status === 'FAILED') fail(`the task FAILED: ${JSON.stringify(body)}`);
    return undefined;
  });
  if (done.returnValue?.greeting !== 'Hello, Ann' || !done.returnValue.workerId.includes(`:${worker.child.pid}:`)) {
    fail(`unexpected return value ${JSON.stringify(done.returnValue)}`);
  }

  step('dashboard page, assets and API');
  const page = await fetch(`${base}/dashboard`);
  const html = await page.text();
  const script = html.match(/src="\.\/dashboard\/(assets\/dashboard\.js\?v=\w+)"/)?.[1];
  if (page.status !== 200 || !script) fail(`GET /dashboard answered ${page.status}: ${html.slice(0, 300)}`);
  const asset = await fetch(`${base}/dashboard/${script}`);
  if (asset.status !== 200 || (await asset.text()).length < 10_000) fail(`GET /dashboard/${script} answered ${asset.status}`);
  const listed = await (await fetch(`${base}/dashboard/api/tasks?status=SUCCESSFUL`)).json();
  if (!listed.tasks?.some((row) => row.id === task.id)) fail(`GET /dashboard/api/tasks does not list the task: ${JSON.stringify(listed)}`);

  step('worker stops on SIGTERM with exit code 0');
  worker.child.kill('SIGTERM');
  const code = await worker.exited;
  if (code !== 0) fail(`the worker exited with ${code} after SIGTERM:\n${worker.output()}`);
}

try {
  await main();
  console.log('ok');
} catch (error) {
  console.log(`FAILED: ${error.message}`);
  for (const { child, output } of children) {
    if (child.exitCode === null) child.kill('SIGKILL');
    console.log(`--- output of ${child.spawnargs.slice(1).join(' ')}\n${output()}`);
  }
  process.exitCode = 1;
} finally {
  for (const { child } of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
}
