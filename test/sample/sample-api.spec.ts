import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { TaskResultStatus, TaskWorker } from 'nestjs-tasks';
import { AppModule } from '../../sample/src/app.module';
import { createTestDatabase, TestDatabase } from '../support/test-database';

/** The sample's HTTP API on a fresh database (a temporary SQLite file unless TEST_DB says otherwise). */
describe('sample API', () => {
  let db: TestDatabase;
  let app: INestApplication;
  const savedEnv = { DB: process.env.DB, SQLITE_FILE: process.env.SQLITE_FILE, DATABASE_URL: process.env.DATABASE_URL };

  beforeAll(async () => {
    db = await createTestDatabase();
    // The sample reads its database from the environment when it starts (sample/src/database.config.ts).
    const { type, database } = db.describe();
    // The sample is a better-sqlite3 application; in the sqlite3 run it runs on TypeORM 0.3.
    process.env.DB = type === 'sqlite3' ? 'sqlite' : type;
    if (type === 'sqlite' || type === 'sqlite3') process.env.SQLITE_FILE = database;
    if (type === 'postgres') process.env.DATABASE_URL = `postgres://postgres@127.0.0.1:5432/${database}`;
    if (type === 'mysql') process.env.DATABASE_URL = `mysql://root@127.0.0.1:3306/${database}`;
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    await db?.cleanup();
    for (const [name, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  const http = () => request(app.getHttpServer());

  it('POST /reports enqueues a report that a worker runs to SUCCESSFUL, with its summary and progress', async () => {
    const created = await http().post('/reports').send({ name: 'Q3 sales', rows: 10 }).expect(202);
    const { id } = created.body;
    expect(created.body).toEqual({ id: expect.any(String), status: 'READY', url: `/tasks/${id}` });

    const ready = await http().get(`/tasks/${id}`).expect(200);
    expect(ready.body).toMatchObject({
      id,
      taskName: 'reports.generate',
      status: TaskResultStatus.READY,
      queueName: 'reports',
      args: [{ name: 'Q3 sales', rows: 10 }],
      startedAt: null,
      finishedAt: null,
      attempts: 0,
      workerIds: [],
      errors: [],
      progress: null,
    });
    expect(ready.body).not.toHaveProperty('returnValue');

    const summary = await app.get(TaskWorker).run({ batch: true });
    expect(summary).toMatchObject({ claimed: 1, reason: 'batch-drained' });

    const done = await http().get(`/tasks/${id}`).expect(200);
    expect(done.body).toMatchObject({
      id,
      status: TaskResultStatus.SUCCESSFUL,
      attempts: 1,
      workerIds: [summary.workerId],
      errors: [],
      progress: { current: 10, total: 10, message: 'Processed 10 of 10 rows' },
      returnValue: { name: 'Q3 sales', rows: 10, min: 0, max: 95.95, workerId: summary.workerId, attempt: 1 },
    });
    expect(done.body.returnValue.total).toBeCloseTo(463.55, 2);
    expect(done.body.returnValue.average).toBeCloseTo(46.36, 1);
    expect(new Date(done.body.finishedAt).getTime()).toBeGreaterThanOrEqual(new Date(done.body.startedAt).getTime());
  });

  it('POST /tasks/:id/cancel cancels a READY task', async () => {
    const { body } = await http().post('/reports').send({ name: 'never mind', rows: 10 }).expect(202);
    const cancelled = await http().post(`/tasks/${body.id}/cancel`).expect(200);
    expect(cancelled.body).toMatchObject({ id: body.id, status: TaskResultStatus.CANCELLED });
    await app.get(TaskWorker).run({ batch: true });
    await http().get(`/tasks/${body.id}`).expect(200).expect(({ body: task }) => expect(task.status).toBe(TaskResultStatus.CANCELLED));
  });

  it('answers 404 for an unknown or malformed task id', async () => {
    const unknown = await http().get('/tasks/0190a0a0-0000-7000-8000-000000000000').expect(404);
    expect(unknown.body).toMatchObject({ statusCode: 404, message: expect.stringContaining('0190a0a0-0000-7000-8000-000000000000') });
    await http().get('/tasks/not-an-id').expect(404);
    await http().post('/tasks/not-an-id/cancel').expect(404);
  });

  it.each([
    ['no name', { rows: 10 }, /name/],
    ['an empty name', { name: '  ', rows: 10 }, /name/],
    ['rows as a string', { name: 'x', rows: '10' }, /rows/],
    ['fractional rows', { name: 'x', rows: 1.5 }, /rows/],
    ['zero rows', { name: 'x', rows: 0 }, /rows/],
    ['an array body', [{ name: 'x', rows: 10 }], /JSON object/],
  ])('answers 400 for a body with %s, and enqueues nothing', async (_, body, message) => {
    const response = await http().post('/reports').send(body).expect(400);
    expect(response.body.message.join(' ')).toMatch(message);
    expect(await app.get(TaskWorker).run({ batch: true })).toMatchObject({ claimed: 0 });
  });
});
