import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import request from 'supertest';
import { call, TaskResultStatus } from '../../src';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { waitUntil } from '../support/wait-until';
import { createDashboardApp, DashboardTasks, DashboardTestApp, Platform } from './dashboard-app';

/** Lets a request through when it carries the test's token, as an application's own auth guard would. */
@Injectable()
class TokenGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToHttp().getRequest().headers.authorization === 'Bearer test';
  }
}

const API = '/admin/ops/tasks/api';

describe.each<Platform>(['express', 'fastify'])('dashboard JSON API on %s', (platform) => {
  let db: TestDatabase;
  let t: DashboardTestApp;
  const ids: Record<string, string> = {};

  const http = () => request(t.app.getHttpServer());
  const get = (path: string) => http().get(`${API}/${path}`).set('Authorization', 'Bearer test');
  const post = (path: string, body?: object) => http().post(`${API}/${path}`).set('Authorization', 'Bearer test').set('X-Tasks-Dashboard', '1').send(body);

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await createDashboardApp(db, platform, { path: '/ops/tasks', guards: [TokenGuard] }, { globalPrefix: 'admin' });
    const first = await t.tasks.enqueue(DashboardTasks, 'add', [1, 2]);
    ids.added = first.id;
    ids.failed = (await t.tasks.enqueue(DashboardTasks, 'fail', ['<script>alert(1)</script>'])).id;
    ids.progress = (await t.tasks.enqueue(DashboardTasks, 'progress', [3], { metadata: { tenant: 'acme_100%' } })).id;
    await t.worker.run({ batch: true, queues: '*' });
    ids.dependent = (await t.tasks.enqueue(DashboardTasks, 'add', [5, 5], { dependsOn: [ids.progress] })).id;
    ids.waiting = (await t.tasks.enqueue(DashboardTasks, 'add', [7, 7], { runAfter: new Date(Date.now() + 3_600_000) })).id;
    const chain = await t.tasks.chain([call(DashboardTasks, 'add', [1, 1]), call(DashboardTasks, 'add', [2, 2])]);
    ids.chain = chain.id;
  });

  afterAll(async () => {
    await t?.close();
    await db?.cleanup();
  });

  it('serves the page and its assets under the global prefix, with a CSP and no inline script', async () => {
    const page = await http().get('/admin/ops/tasks').set('Authorization', 'Bearer test').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.text).toContain('data-api="./tasks/api"');
    const script = page.text.match(/src="\.\/tasks\/(assets\/dashboard\.js\?v=\w+)"/)![1];
    const js = await http().get(`/admin/ops/tasks/${script}`).set('Authorization', 'Bearer test').expect(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect(js.text.length).toBeGreaterThan(10_000);
    const css = await http().get('/admin/ops/tasks/assets/dashboard.css').set('Authorization', 'Bearer test').expect(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    expect(css.text).toContain('.uplot');
  });

  it('runs the guards on every route: the page, reads and actions', async () => {
    await http().get('/admin/ops/tasks').expect(403);
    const refused = await http().get(`${API}/tasks`).expect(403);
    expect(refused.body).toEqual({ statusCode: 403, error: 'Forbidden', message: expect.stringContaining('guard') });
    await http().post(`${API}/tasks/${ids.waiting}/cancel`).set('X-Tasks-Dashboard', '1').expect(403);
  });

  it('GET tasks lists newest first, filters by status, queue, task, text and time, and pages by cursor', async () => {
    const all = await get('tasks').expect(200);
    expect(all.body.tasks.map((task: { id: string }) => task.id)).toEqual([...all.body.tasks.map((task: { id: string }) => task.id)].sort().reverse());
    expect(all.body.tasks).toHaveLength(7);
    expect(all.body.nextCursor).toBeNull();

    const failed = await get('tasks?status=FAILED').expect(200);
    expect(failed.body.tasks).toEqual([expect.objectContaining({
      id: ids.failed, taskName: 'dash.fail', status: 'FAILED', queueName: 'emails', attempts: 1, maxAttempts: 1,
      lastError: 'RangeError: <script>alert(1)</script>', argsPreview: '["<script>alert(1)</script>"]',
    })]);
    expect((await get('tasks?status=READY,WAITING').expect(200)).body.tasks).toHaveLength(4);
    expect((await get('tasks?queue=emails').expect(200)).body.tasks.map((task: { id: string }) => task.id)).toEqual([ids.failed]);
    expect((await get('tasks?task=dash.progress').expect(200)).body.tasks[0]).toMatchObject({
      id: ids.progress, status: 'SUCCESSFUL', progress: { current: 3, total: 3, message: 'step 3' },
    });
    // LIKE wildcards in the text are matched literally.
    expect((await get(`tasks?q=${encodeURIComponent('acme_100%')}`).expect(200)).body.tasks.map((task: { id: string }) => task.id)).toEqual([ids.progress]);
    expect((await get('tasks?q=acme_1000').expect(200)).body.tasks).toEqual([]);
    expect((await get(`tasks?group=${ids.chain}`).expect(200)).body.tasks).toHaveLength(2);
    expect((await get(`tasks?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`).expect(200)).body.tasks).toEqual([]);
    expect((await get(`tasks?until=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`).expect(200)).body.tasks).toHaveLength(7);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: request.Response = await get(`tasks?limit=3${cursor ? `&cursor=${cursor}` : ''}`).expect(200);
      expect(page.body.tasks.length).toBeLessThanOrEqual(3);
      seen.push(...page.body.tasks.map((task: { id: string }) => task.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.body.tasks.map((task: { id: string }) => task.id));
  });

  it('refuses malformed filters with 400 and a JSON body', async () => {
    for (const query of ['status=DONE', 'limit=0', 'limit=501', 'limit=x', 'cursor=%27%20OR%201=1', 'since=yesterday', 'colour=red', 'status=FAILED&status=READY']) {
      const response = await get(`tasks?${query}`).expect(400);
      expect(response.body).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.any(String) });
    }
    await get('stats?window=0').expect(400);
  });

  it('GET tasks/:id has every field, errors with tracebacks, attempts and workers, dependencies and dependents', async () => {
    const failed = (await get(`tasks/${ids.failed}`).expect(200)).body;
    expect(failed).toMatchObject({
      id: ids.failed, status: 'FAILED', args: ['<script>alert(1)</script>'], attempts: 1, workerIds: [expect.any(String)],
      errors: [{ name: 'RangeError', message: '<script>alert(1)</script>', attempt: 1, traceback: expect.stringContaining('RangeError: <script>') }],
      returnValue: null, dependencies: [], dependents: [],
    });
    expect(failed.errors[0].traceback).toContain('DashboardTasks.fail');

    const done = (await get(`tasks/${ids.progress}`).expect(200)).body;
    expect(done).toMatchObject({ status: 'SUCCESSFUL', returnValue: 3, metadata: { tenant: 'acme_100%' }, progress: { current: 3, total: 3 } });
    expect(done.dependents).toEqual([expect.objectContaining({ id: ids.dependent, taskName: 'dash.add', status: 'READY' })]);
    const dependent = (await get(`tasks/${ids.dependent}`).expect(200)).body;
    expect(dependent.dependencies).toEqual([expect.objectContaining({ id: ids.progress, status: 'SUCCESSFUL' })]);

    expect((await get('tasks/0190aaaa-0000-7000-8000-000000000000').expect(404)).body).toEqual({ statusCode: 404, error: 'Not Found', message: expect.any(String) });
    await get('tasks/not-an-id').expect(404);
  });

  it('POST tasks/:id/cancel cancels, and refuses without X-Tasks-Dashboard', async () => {
    await http().post(`${API}/tasks/${ids.waiting}/cancel`).set('Authorization', 'Bearer test').expect(403);
    expect((await t.tasks.getResult(ids.waiting)).status).toBe(TaskResultStatus.READY);
    const cancelled = await post(`tasks/${ids.waiting}/cancel`).expect(200);
    expect(cancelled.body).toMatchObject({ id: ids.waiting, status: 'CANCELLED' });
    await post('tasks/0190aaaa-0000-7000-8000-000000000000/cancel').expect(404);
  });

  it('DELETE tasks/:id deletes a finished task; a pending one is a 409', async () => {
    const remove = (id: string) => http().delete(`${API}/tasks/${id}`).set('Authorization', 'Bearer test').set('X-Tasks-Dashboard', '1');
    await http().delete(`${API}/tasks/${ids.added}`).set('Authorization', 'Bearer test').expect(403);
    expect((await remove(ids.added).expect(200)).body).toEqual({ deleted: ids.added });
    await get(`tasks/${ids.added}`).expect(404);
    await remove(ids.added).expect(404);
    expect((await remove(ids.dependent).expect(409)).body.message).toContain('READY');
  });

  it('GET queues counts tasks per queue and status, with each queue\'s limits', async () => {
    const { queues } = (await get('queues').expect(200)).body;
    expect(queues).toEqual([
      expect.objectContaining({ name: 'default', paused: false, counts: expect.objectContaining({ SUCCESSFUL: 1, READY: 2, CANCELLED: 1, FAILED: 0 }) }),
      expect.objectContaining({
        name: 'emails', paused: false, globalConcurrency: 2, rateLimit: { limit: 10, interval: 1000 }, counts: expect.objectContaining({ FAILED: 1, READY: 0 }),
      }),
    ]);
  });

  it('GET schedules lists them; pause, resume and trigger act on one', async () => {
    await t.tasks.schedule('dash:nightly', call(DashboardTasks, 'add', [4, 4]), { cron: '0 3 * * *' });
    const { schedules } = (await get('schedules').expect(200)).body;
    expect(schedules).toEqual([expect.objectContaining({ id: 'dash:nightly', taskName: 'dash.add', paused: false })]);
    expect((await post('schedules/dash:nightly/pause').expect(200)).body).toMatchObject({ paused: true });
    expect((await post('schedules/dash:nightly/resume').expect(200)).body).toMatchObject({ paused: false });
    const run = (await post('schedules/dash:nightly/trigger').expect(200)).body;
    expect(run).toMatchObject({ taskName: 'dash.add', status: 'READY' });
    await post('schedules/nothing/pause').expect(404);
    await t.tasks.unschedule('dash:nightly');
  });

  it('GET stats has counts, throughput buckets and percentiles per task from the database clock', async () => {
    const stats = (await get('stats').expect(200)).body;
    expect(stats).toMatchObject({ windowMinutes: 60, bucketSeconds: 60 });
    expect(stats.throughput).toHaveLength(60);
    const total = stats.throughput.reduce((sum: { ok: number; failed: number }, b: { succeeded: number; failed: number }) =>
      ({ ok: sum.ok + b.succeeded, failed: sum.failed + b.failed }), { ok: 0, failed: 0 });
    expect(total).toEqual({ ok: 1, failed: 1 });
    expect(stats.throughput[59].succeeded + stats.throughput[59].failed).toBe(2);
    expect(stats.tasks.map((task: { taskName: string }) => task.taskName)).toEqual(['dash.fail', 'dash.progress']);
    for (const task of stats.tasks) {
      expect(task.finished).toBe(1);
      expect(task.runTimeMs.p50).toBeGreaterThanOrEqual(0);
      expect(task.runTimeMs.p50).toBeLessThan(10_000);
      expect(task.queueTimeMs.p99).toBeLessThan(60_000);
    }
    expect(stats.counts).toContainEqual({ queueName: 'emails', status: 'FAILED', count: 1 });
  });

  it('POST tasks/:id/retry runs a FAILED task again on the same row; another status is a 409', async () => {
    await http().post(`${API}/tasks/${ids.failed}/retry`).set('Authorization', 'Bearer test').expect(403);
    const retried = await post(`tasks/${ids.failed}/retry`).expect(200);
    expect(retried.body).toMatchObject({ id: ids.failed, status: 'READY', attempts: 1, maxAttempts: 2 });
    expect((await post(`tasks/${ids.failed}/retry`).expect(409)).body.message).toContain('READY');
    await post(`tasks/${ids.failed}/retry`, { dependents: 'yes' }).expect(400);
    await post('tasks/0190aaaa-0000-7000-8000-000000000000/retry').expect(404);
  });

  it('POST tasks/:id/retry with { dependents: true } brings back the dependents its failure cancelled', async () => {
    const failing = await t.tasks.enqueue(DashboardTasks, 'fail', ['again'], { queueName: 'default' });
    const dependent = await t.tasks.enqueue(DashboardTasks, 'add', [3, 3], { dependsOn: [failing] });
    await t.worker.run({ batch: true, queues: ['default'] });
    expect((await get(`tasks/${dependent.id}`).expect(200)).body.status).toBe('CANCELLED');
    expect((await post(`tasks/${failing.id}/retry`, { dependents: true }).expect(200)).body.status).toBe('READY');
    expect((await get(`tasks/${dependent.id}`).expect(200)).body.status).toBe('WAITING');
    expect((await post('tasks/cancel', { task: 'dash.fail', queue: 'default' }).expect(200)).body).toEqual({ count: 1 });
  });

  it('bulk retry, cancel and delete act on the filter of the body; no filter, another filter or a bad one is a 400', async () => {
    for (const body of [undefined, {}, { q: 'x' }, { group: ids.chain }, { status: 'DONE' }, { queue: 5 }]) {
      expect((await post('tasks/retry', body).expect(400)).body).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.any(String) });
    }
    await post('tasks/retry', { status: 'RUNNING' }).expect(400);
    await http().post(`${API}/tasks/cancel`).set('Authorization', 'Bearer test').send({ queue: 'emails' }).expect(403);
    expect((await post('tasks/cancel', { queue: 'emails' }).expect(200)).body).toEqual({ count: 1 });
    expect((await post('tasks/retry', { queue: 'emails', status: 'CANCELLED' }).expect(200)).body).toEqual({ count: 1 });
    expect((await post('tasks/retry', { queue: 'emails', status: 'CANCELLED' }).expect(200)).body).toEqual({ count: 0 });
    expect((await post('tasks/cancel', { task: 'dash.fail' }).expect(200)).body).toEqual({ count: 1 });
    expect((await post('tasks/delete', { task: 'dash.fail', queue: 'emails', status: 'CANCELLED' }).expect(200)).body).toEqual({ count: 1 });
    await get(`tasks/${ids.failed}`).expect(404);
  });

  it('POST tasks/:id/run makes a READY task scheduled for later due now; bulk run over a READY filter', async () => {
    const later = await t.tasks.enqueue(DashboardTasks, 'add', [8, 8], { delay: 3_600_000, queueName: 'emails' });
    await http().post(`${API}/tasks/${later.id}/run`).set('Authorization', 'Bearer test').expect(403);
    const moved = (await post(`tasks/${later.id}/run`).expect(200)).body;
    expect(moved).toMatchObject({ id: later.id, status: 'READY', attempts: 0 });
    expect(new Date(moved.runAfter).getTime()).toBeLessThan(later.runAfter.getTime() - 1_800_000);
    // Already due: nothing changes, and it is no error.
    expect((await post(`tasks/${later.id}/run`).expect(200)).body.runAfter).toBe(moved.runAfter);
    await post('tasks/0190aaaa-0000-7000-8000-000000000000/run').expect(404);
    await t.worker.run({ batch: true, queues: ['emails'] });
    expect((await post(`tasks/${later.id}/run`).expect(409)).body.message).toContain('SUCCESSFUL');

    await Promise.all([1, 2].map((n) => t.tasks.enqueue(DashboardTasks, 'add', [n, n], { delay: 3_600_000, queueName: 'emails' })));
    await post('tasks/run', {}).expect(400);
    await post('tasks/run', { queue: 'emails', status: 'FAILED' }).expect(400);
    await http().post(`${API}/tasks/run`).set('Authorization', 'Bearer test').send({ queue: 'emails' }).expect(403);
    expect((await post('tasks/run', { queue: 'emails', status: 'READY' }).expect(200)).body).toEqual({ count: 2 });
    expect((await post('tasks/run', { queue: 'emails', status: 'READY' }).expect(200)).body).toEqual({ count: 0 });
    expect((await post('tasks/cancel', { queue: 'emails' }).expect(200)).body).toEqual({ count: 2 });
  });

  it('POST queues/:name/pause and resume; GET queues shows it paused', async () => {
    expect((await post('queues/emails/pause').expect(200)).body).toEqual({ name: 'emails', paused: true });
    expect((await get('queues').expect(200)).body.queues.find((queue: { name: string }) => queue.name === 'emails').paused).toBe(true);
    expect((await post('queues/emails/resume').expect(200)).body).toEqual({ name: 'emails', paused: false });
    expect((await get('queues').expect(200)).body.queues.find((queue: { name: string }) => queue.name === 'emails').paused).toBe(false);
    await post('queues/nope/pause').expect(400);
    await http().post(`${API}/queues/emails/pause`).set('Authorization', 'Bearer test').expect(403);
  });

  it('GET workers lists the running workers', async () => {
    expect((await get('workers').expect(200)).body).toEqual({ workers: [] });
    const running = t.worker.run({ queues: ['emails'], concurrency: 2 });
    try {
      await waitUntil(async () => (await get('workers')).body.workers.length === 1, 10_000, 'the worker listed');
      expect((await get('workers')).body.workers[0]).toMatchObject({ queues: ['emails'], concurrency: 2, pid: process.pid });
    } finally {
      await t.worker.stop();
      await running;
    }
  });
});
