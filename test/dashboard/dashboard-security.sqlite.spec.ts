import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { networkInterfaces } from 'node:os';
import { of } from 'rxjs';
import request from 'supertest';
import { Test } from '@nestjs/testing';
import { InvalidTaskError, TasksDashboardModule, TasksModule } from '../../src';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { createDashboardApp, DashboardTasks, DashboardTestApp, Platform } from './dashboard-app';

/** An address of this machine that is not loopback: a request to it comes from it, a non-loopback peer. */
function nonLoopbackAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) if (!address.internal && address.family === 'IPv4') return address.address;
  }
  throw new Error('This machine has no non-loopback IPv4 address to test the loopback rule with.');
}

@Injectable()
class Tokens {
  readonly valid = 'Bearer admin';
}

/** A provider of the application with a dependency: resolved from the application, not created. */
@Injectable()
class AdminGuard implements CanActivate {
  static instances = 0;
  constructor(private readonly tokens: Tokens) {
    AdminGuard.instances++;
  }

  canActivate(context: ExecutionContext): boolean {
    return context.switchToHttp().getRequest().headers.authorization === this.tokens.valid;
  }
}

/** Not a provider: the dashboard creates it. Answers with an Observable, as Nest guards may. */
class HeaderGuard implements CanActivate {
  canActivate(context: ExecutionContext) {
    return of(context.switchToHttp().getRequest().headers['x-team'] === 'ops');
  }
}

describe('dashboard security', () => {
  let db: TestDatabase;
  let taskId: string;
  const apps: DashboardTestApp[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    for (const t of apps) await t.close();
    await db?.cleanup();
  });

  async function start(platform: Platform, ...args: Parameters<typeof createDashboardApp> extends [unknown, unknown, ...infer R] ? R : never) {
    const t = await createDashboardApp(db, platform, ...args);
    apps.push(t);
    taskId = (await t.tasks.enqueue(DashboardTasks, 'add', [1, 2], { runAfter: new Date(Date.now() + 3_600_000) })).id;
    return t;
  }

  describe.each<Platform>(['express', 'fastify'])('without guards, on %s', (platform) => {
    it('answers loopback reads, refuses proxied and non-loopback requests and every action', async () => {
      const t = await start(platform, {});
      const http = () => request(t.app.getHttpServer());
      await http().get('/tasks').expect(200);
      await http().get('/tasks/api/tasks').expect(200);
      expect((await http().get('/tasks/api/tasks').set('X-Forwarded-For', '203.0.113.9').expect(403)).body.message).toContain('proxy');
      await http().get('/tasks').set('Forwarded', 'for=203.0.113.9').expect(403);
      const refused = await http().post(`/tasks/api/tasks/${taskId}/cancel`).set('X-Tasks-Dashboard', '1').expect(403);
      expect(refused.body).toEqual({ statusCode: 403, error: 'Forbidden', message: expect.stringContaining('read-only') });
      await http().delete(`/tasks/api/tasks/${taskId}`).set('X-Tasks-Dashboard', '1').expect(403);
      expect((await t.tasks.getResult(taskId)).status).toBe('READY');

      // The same application reached through a non-loopback address of this machine.
      const address = nonLoopbackAddress();
      await t.app.listen(0, address);
      const { port } = t.app.getHttpServer().address() as { port: number };
      const remote = await request(`http://${address}:${port}`).get('/tasks/api/tasks').expect(403);
      expect(remote.body.message).toContain('loopback requests only');
      await request(`http://${address}:${port}`).get('/tasks').expect(403);
    });
  });

  it('unsafeAllowUnauthenticated allows actions from loopback, with the header only, and stays loopback-only', async () => {
    const t = await start('express', { path: 'ops', unsafeAllowUnauthenticated: true });
    const http = () => request(t.app.getHttpServer());
    await http().post(`/ops/api/tasks/${taskId}/cancel`).expect(403);
    await http().post(`/ops/api/tasks/${taskId}/cancel`).set('X-Tasks-Dashboard', 'yes').expect(403);
    await http().post(`/ops/api/tasks/${taskId}/cancel`).set('X-Tasks-Dashboard', '1').expect(200);
    await http().get('/ops/api/tasks').set('X-Forwarded-For', '10.0.0.1').expect(403);
  });

  it('guards (a provider resolved from the application, a class it creates, an instance) run on every route and lift the loopback rule', async () => {
    const instance: CanActivate = { canActivate: (context) => context.switchToHttp().getRequest().headers['x-instance'] === 'yes' };
    AdminGuard.instances = 0;
    const t = await start('fastify', { guards: [AdminGuard, HeaderGuard, instance] }, { providers: [Tokens, AdminGuard] });
    expect(AdminGuard.instances).toBe(1);
    const http = () => request(t.app.getHttpServer());
    const allowed = { Authorization: 'Bearer admin', 'X-Team': 'ops', 'X-Instance': 'yes' };
    await http().get('/tasks').set(allowed).expect(200);
    await http().get('/tasks/api/stats').set(allowed).set('X-Forwarded-For', '203.0.113.9').expect(200);
    for (const missing of Object.keys(allowed)) {
      const headers = Object.fromEntries(Object.entries(allowed).filter(([name]) => name !== missing));
      await http().get('/tasks').set(headers).expect(403);
      await http().get('/tasks/api/queues').set(headers).expect(403);
      await http().post(`/tasks/api/tasks/${taskId}/cancel`).set(headers).set('X-Tasks-Dashboard', '1').expect(403);
    }
    await http().post(`/tasks/api/tasks/${taskId}/cancel`).set(allowed).expect(403);
    await http().post(`/tasks/api/tasks/${taskId}/cancel`).set(allowed).set('X-Tasks-Dashboard', '1').expect(200);

    const address = nonLoopbackAddress();
    await t.app.listen(0, address);
    const { port } = t.app.getHttpServer().address() as { port: number };
    await request(`http://${address}:${port}`).get('/tasks/api/tasks').set(allowed).expect(200);
  });

  it('readOnly refuses every action, guards or not', async () => {
    const t = await start('express', { path: '/ro', guards: [{ canActivate: () => true }], readOnly: true });
    const http = () => request(t.app.getHttpServer());
    await http().get('/ro/api/tasks').expect(200);
    expect((await http().post(`/ro/api/tasks/${taskId}/cancel`).set('X-Tasks-Dashboard', '1').expect(403)).body.message).toContain('read-only');
    expect((await http().post(`/ro/api/tasks/${taskId}/run`).set('X-Tasks-Dashboard', '1').expect(403)).body.message).toContain('read-only');
    await http().post('/ro/api/tasks/run').set('X-Tasks-Dashboard', '1').send({ status: 'READY' }).expect(403);
    const page = await http().get('/ro').expect(200);
    expect(page.text).toContain('data-read-only="true"');
  });

  it('refuses bad options at start-up', () => {
    expect(() => TasksDashboardModule.forRoot({ path: '/a b' })).toThrow(InvalidTaskError);
    expect(() => TasksDashboardModule.forRoot({ path: '<x>' })).toThrow(/option path/);
    expect(() => TasksDashboardModule.forRoot({ guards: [{} as CanActivate] })).toThrow(/guards\[0\]/);
  });

  it('refuses to start next to a backend that stores no tasks in the database', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [TasksModule.forRoot({ backend: 'immediate' }), TasksDashboardModule.forRoot()],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await expect(app.init()).rejects.toThrow(/'immediate' backend of TasksModule stores no tasks/);
    await app.close();
  });
});
