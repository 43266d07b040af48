import { DataSource } from 'typeorm';
import { createDialect } from '../../src/dialects/create-dialect';
import type { NewTaskRow, TaskDialect } from '../../src/dialects/task-dialect.interface';
import type { TaskRow } from '../../src/core/task-row';
import type { TaskTime } from '../../src/core/task-time';
import {
  applyChange, cancelled, failed, released, rescued, succeeded, TaskChange,
} from '../../src/core/task.transitions';
import { newTaskId } from '../../src/task-id';
import { TaskResultStatus } from '../../src/task-result-status.enum';
import { createDatabase, newDataSource, TestDatabase, TestDb } from '../support/test-database';
import { insertWorkflow, cancelWithDependents, dependencyIds, dependentIds, groupRows, forgetTask } from '../../src/dialects/shared/workflow.store';
import { Pipe } from '../../src/dialects/shared/dependents.settle';
import type { KeyedTask } from '../../src/uniqueness/uniqueness-dialect.interface';
import { enqueueKeyed } from '../../src/uniqueness/keyed.store';

/**
 * Every named statement and every transition of every dialect, built directly from a
 * DataSource, against each database in one run (River's riverdrivertest, Oban's engine loop).
 * Each change is also applied in memory with applyChange: the database must agree with it.
 */
const DATABASES = (process.env.DIALECT_DBS ?? 'sqlite,sqlite3,postgres,mysql').split(',') as TestDb[];
const ERROR = { name: 'Error', message: 'boom', traceback: 'at task', attempt: 1, failedAt: '2030-01-01T00:00:00.000Z' };
/** Databases and this process share the machine's clock; statements take well under this. */
const CLOCK_SLACK_MS = 2_000;

describe.each(DATABASES)('dialect %s', (type) => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let dialect: TaskDialect;
  let queue: string;

  beforeAll(async () => {
    db = await createDatabase(type);
    dataSource = await newDataSource(db.options).initialize();
    dialect = createDialect(dataSource);
    await dialect.checkSchema();
  });
  afterAll(async () => {
    await dialect?.close();
    await dataSource?.destroy();
    await db?.cleanup();
  });
  // A queue per test: the tests share one table and never see one another's rows.
  beforeEach(() => {
    queue = `q-${newTaskId()}`;
  });

  function row(overrides: Partial<NewTaskRow> = {}): NewTaskRow {
    return {
      id: newTaskId(), taskName: 'T.run', queueName: queue, priority: 0, args: '[1]', kwargs: '{}', backend: 'database',
      runAfter: { afterNow: 0 }, enqueuedAt: new Date(), maxAttempts: 3, values: { args: [1], kwargs: {} }, ...overrides,
    };
  }
  async function insert(...rows: NewTaskRow[]): Promise<string[]> {
    await dialect.insert(rows);
    return rows.map((r) => r.id);
  }
  async function find(id: string): Promise<TaskRow> {
    return (await dialect.find(id)) as TaskRow;
  }
  const claim = (workerId = 'w1', limit = 10, leaseMs = 60_000, queues: string[] | null = [queue]) =>
    dialect.claim({ workerId, queues, limit, leaseMs });
  const near = (actual: Date | null, expected: number) => {
    expect(actual).toBeInstanceOf(Date);
    expect(Math.abs(actual!.getTime() - expected)).toBeLessThan(CLOCK_SLACK_MS);
  };

  it('now: the database clock', async () => {
    near(await dialect.now(), Date.now());
  });

  it('insert + find: enqueue time and relative runAfter by the database clock, absolute runAfter to the millisecond', async () => {
    const at = new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_123);
    const [now, later, fixed] = await insert(row(), row({ runAfter: { afterNow: 90_000 } }), row({ runAfter: { at } }));
    const dbNow = (await dialect.now()).getTime();
    const stored = await find(now);
    expect(stored).toMatchObject({ status: TaskResultStatus.READY, queueName: queue, args: [1], kwargs: {}, maxAttempts: 3, errors: [], workerIds: [], cancelRequested: false });
    near(stored.enqueuedAt, dbNow);
    expect(stored.runAfter).toEqual(stored.enqueuedAt);
    near((await find(later)).runAfter, dbNow + 90_000);
    expect((await find(fixed)).runAfter.getTime()).toBe(at.getTime());
    expect(await dialect.find(newTaskId())).toBeNull();
  });

  it('insert: a batch alike but for ids and arguments, and one that differs in a later row', async () => {
    const at = new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_123);
    const alike = [1, 2, 3].map((n) => row({ args: `[${n}]`, kwargs: `{"n":${n}}`, priority: 4, maxAttempts: 2, runAfter: { at }, traceContext: 'tc' }));
    await insert(...alike);
    for (const [index, id] of alike.map((r) => r.id).entries()) {
      expect(await find(id)).toMatchObject({ status: TaskResultStatus.READY, queueName: queue, taskName: 'T.run', priority: 4, maxAttempts: 2,
        args: [index + 1], kwargs: { n: index + 1 }, backend: 'database', runAfter: at });
    }
    const mixed = [row({ args: '[7]' }), row({ args: '[8]', maxAttempts: 9 })];
    await insert(...mixed);
    expect(await find(mixed[0].id)).toMatchObject({ args: [7], maxAttempts: 3 });
    expect(await find(mixed[1].id)).toMatchObject({ args: [8], maxAttempts: 9 });
  });

  it('claim: due READY rows only, in priority, run_after, id order, up to the limit, leased by the database clock', async () => {
    const old = { at: new Date(Date.now() - 60_000) };
    const ids = await insert(
      row({ priority: 0 }), row({ priority: 5 }), row({ priority: 0, runAfter: old }), row({ priority: 5, runAfter: { afterNow: 60_000 } }),
      row({ priority: -3 }),
    );
    const first = await claim('w1', 2, 30_000);
    expect(first.map((task) => task.id)).toEqual([ids[1], ids[2]]);
    expect(first[0]).toMatchObject({ attempt: 1, maxAttempts: 3, queueName: queue, taskName: 'T.run', priority: 5 });
    const stored = await find(ids[1]);
    expect(stored).toMatchObject({ status: TaskResultStatus.RUNNING, claimedBy: 'w1', workerIds: ['w1'] });
    near(stored.leaseExpiresAt, (await dialect.now()).getTime() + 30_000);
    near(stored.startedAt, Date.now());
    expect((await claim('w2')).map((task) => task.id)).toEqual([ids[0], ids[4]]);
    expect(await claim('w3')).toEqual([]);
  });

  it('insert + claim: the trace context travels with the row; claimedAt and runAfter by the database clock', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const [traced, plain] = await insert(row({ traceContext: traceparent }), row({ runAfter: { at: new Date(Date.now() - 5_000) } }));
    const claimed = await claim();
    const byId = new Map(claimed.map((task) => [task.id, task]));
    expect(byId.get(traced)!.traceContext).toBe(traceparent);
    expect(byId.get(plain)!.traceContext).toBeNull();
    const dbNow = (await dialect.now()).getTime();
    const toTime = (value: unknown) => (value instanceof Date ? value : new Date(`${String(value).replace(' ', 'T')}${String(value).includes('Z') ? '' : 'Z'}`)).getTime();
    near(new Date(toTime(byId.get(plain)!.claimedAt)), dbNow);
    expect(toTime(byId.get(plain)!.claimedAt) - toTime(byId.get(plain)!.runAfter)).toBeGreaterThanOrEqual(4_000);
  });

  it('queueDepth: unfinished rows counted per queue and status', async () => {
    const other = `q-${newTaskId()}`;
    await insert(row(), row(), row(), row({ queueName: other, runAfter: { afterNow: 60_000 } }));
    const [running] = await claim('w1', 1);
    await dialect.finish('w1', [succeeded(running, '1')]);
    await claim('w1', 1);
    const depth = (await dialect.queueDepth()).filter((line) => line.queue === queue || line.queue === other);
    expect(depth.sort((a, b) => `${a.queue}${a.status}`.localeCompare(`${b.queue}${b.status}`))).toEqual([
      { queue, status: TaskResultStatus.READY, count: 1 },
      { queue, status: TaskResultStatus.RUNNING, count: 1 },
      { queue: other, status: TaskResultStatus.READY, count: 1 },
    ].sort((a, b) => `${a.queue}${a.status}`.localeCompare(`${b.queue}${b.status}`)));
  });

  it('claim: rows scheduled later at a higher priority never hide due ones', async () => {
    const future = Array.from({ length: 50 }, () => row({ priority: 10, runAfter: { afterNow: 86_400_000 } }));
    const backingOff = Array.from({ length: 20 }, (_, i) => row({ priority: i % 5, runAfter: { afterNow: 3_600_000 } }));
    const due = [row({ priority: 0 }), row({ priority: 2 }), row({ priority: -1 })];
    await insert(...future, ...backingOff, ...due);
    expect((await claim('w1', 10)).map((task) => task.id)).toEqual([due[1].id, due[0].id, due[2].id]);
  });

  it('claim: what a claim remembers of a queue never outranks rows that arrive at any priority', async () => {
    // Claims of one queue start from where the last one found rows (MySQL/MariaDB) or read the
    // two highest priorities first (SQLite): each new row below must still be taken first.
    const ids = (rows: { id: string }[]) => rows.map((task) => task.id);
    await insert(...Array.from({ length: 5 }, () => row({ priority: 10, runAfter: { afterNow: 86_400_000 } })));
    const low = await insert(row({ priority: 0 }), row({ priority: 0 }), row({ priority: 0 }));
    expect(ids(await claim('w1', 1))).toEqual([low[0]]);
    expect(ids(await claim('w1', 1))).toEqual([low[1]]);
    const [dueAtTop] = await insert(row({ priority: 10 }));
    expect(ids(await claim('w1', 1))).toEqual([dueAtTop]);
    const [between] = await insert(row({ priority: 5 }));
    expect(ids(await claim('w1', 1))).toEqual([between]);
    const [above] = await insert(row({ priority: 20 }));
    const [lowest] = await insert(row({ priority: -5 }));
    expect(ids(await claim('w1', 10))).toEqual([above, low[2], lowest]);
    expect(await claim('w1', 10)).toEqual([]);
    const [back] = await insert(row({ priority: 0 }));
    expect(ids(await claim('w1', 10))).toEqual([back]);
  });

  it('claim: across several queues and every queue, merged in claim order', async () => {
    const other = `${queue}-b`;
    const [a, b, c] = await insert(row({ priority: 1 }), row({ queueName: other, priority: 2 }), row({ queueName: other, priority: 0 }));
    expect((await claim('w1', 2, 60_000, [queue, other])).map((task) => task.id)).toEqual([b, a]);
    const any = await claim('w1', 1000, 60_000, null);
    expect(any.map((task) => task.id)).toContain(c);
  });

  const transitions: [string, (t: { id: string; attempt: number; maxAttempts: number }) => TaskChange][] = [
    ['succeeded', (t) => succeeded(t, '"done"')],
    ['retried', (t) => failed(t, ERROR, { retryable: true, backoff: 5_000 })],
    ['failed', (t) => failed(t, ERROR, { retryable: false })],
    ['cancelled', (t) => cancelled(t)],
    ['released', (t) => released(t)],
    ['rescued', (t) => rescued({ ...t, claimedBy: 'w1' }, new Date('2030-01-01T00:00:00.000Z'))],
  ];
  describe.each([false, true])('finish, cancellation requested first: %s', (cancelFirst) => {
    it.each(transitions)('%s: the row becomes what applyChange says', async (_, decide) => {
      const [id] = await insert(row());
      const [task] = await claim('w1');
      if (cancelFirst) expect(await dialect.cancel(id)).toBe('requested');
      const before = await find(id);
      const change = decide(task);
      await dialect.finish('w1', [change]);
      const after = await find(id);
      const expected = { ...before };
      expect(applyChange(expected, 'w1', change, after.finishedAt ?? new Date())).toBe(true);
      expect(after).toMatchObject({
        status: expected.status, errors: expected.errors, workerIds: expected.workerIds, storedReturnValue: expected.storedReturnValue,
        claimedBy: null, leaseExpiresAt: null, startedAt: expected.startedAt, cancelRequested: cancelFirst,
      });
      expect(after.finishedAt === null).toBe(expected.finishedAt === null);
      if (change.runAfter && !cancelFirst) {
        near(after.runAfter, (await dialect.now()).getTime() + (change.runAfter as { afterNow: number }).afterNow);
      } else {
        expect(after.runAfter).toEqual(before.runAfter);
      }
      // Fenced: a second write of the same change, or another worker's, changes nothing.
      await dialect.finish('w1', [change]);
      await dialect.finish('w2', [succeeded(task, '"other"')]);
      expect(await find(id)).toEqual(after);
    });
  });

  it('finish: a batch of mixed changes in one call', async () => {
    const ids = await insert(row(), row(), row(), row());
    const tasks = await claim('w1');
    await dialect.finish('w1', [succeeded(tasks[0], '1'), failed(tasks[1], ERROR, { retryable: false }), succeeded(tasks[2], '"x"'), released(tasks[3])]);
    expect((await Promise.all(ids.map(find))).map((r) => r.status)).toEqual([
      TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED, TaskResultStatus.SUCCESSFUL, TaskResultStatus.READY,
    ]);
    expect((await find(ids[2])).storedReturnValue).toBe('x');
  });

  it('renew: extends the leases held, reports cancellation requests, ignores rows held by others', async () => {
    const [a, b, c] = await insert(row(), row(), row());
    await claim('w1', 2, 1_000);
    await claim('w2', 1);
    await dialect.cancel(b);
    const renewal = await dialect.renew('w1', [a, b, c], 60_000);
    expect(renewal.held.sort((x, y) => x.id.localeCompare(y.id))).toEqual([{ id: a, attempt: 1 }, { id: b, attempt: 1 }].sort((x, y) => x.id.localeCompare(y.id)));
    expect(renewal.cancelRequested).toEqual([b]);
    near((await find(a)).leaseExpiresAt, (await dialect.now()).getTime() + 60_000);
  });

  it('rescue: expired leases only; READY with a WorkerLostError, FAILED on the last attempt, CANCELLED when requested', async () => {
    const [retry, last, cancel, live] = await insert(row(), row({ maxAttempts: 1 }), row(), row());
    await claim('gone', 3, 1);
    await claim('alive', 1, 60_000);
    await dialect.cancel(cancel);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await dialect.rescue(100)).sort()).toEqual([retry, last, cancel].sort());
    expect(await find(retry)).toMatchObject({ status: TaskResultStatus.READY, claimedBy: null, errors: [expect.objectContaining({ name: 'WorkerLostError', attempt: 1 })] });
    expect((await find(retry)).errors[0].message).toContain('Worker gone stopped renewing its lease');
    expect(await find(last)).toMatchObject({ status: TaskResultStatus.FAILED });
    expect(await find(cancel)).toMatchObject({ status: TaskResultStatus.CANCELLED });
    expect(await find(live)).toMatchObject({ status: TaskResultStatus.RUNNING, claimedBy: 'alive' });
    expect(await dialect.rescue(100)).toEqual([]);
  });

  it('rescue: spares the expired rows its own worker still holds, and only those', async () => {
    const [mine, other] = await insert(row(), row());
    await claim('me', 1, 1);
    await claim('gone', 1, 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // The same id under another worker is not spared: the set names this worker's attempts.
    expect(await dialect.rescue(100, () => ({ workerId: 'me', ids: new Set([mine, other]), claiming: false }))).toEqual([other]);
    expect(await find(mine)).toMatchObject({ status: TaskResultStatus.RUNNING, claimedBy: 'me' });
    // While a claim of the worker is in flight, every row of the worker is spared.
    expect(await dialect.rescue(100, () => ({ workerId: 'me', ids: new Set(), claiming: true }))).toEqual([]);
    expect(await dialect.rescue(100, () => ({ workerId: 'me', ids: new Set([mine]), claiming: false }))).toEqual([]);
    expect(await dialect.rescue(100)).toEqual([mine]);
  });

  it('cancel: READY at once, RUNNING requested, finished left alone, unknown missing', async () => {
    const [ready, running] = await insert(row(), row({ runAfter: { afterNow: -1_000 } }));
    await claim('w1', 1);
    expect(await dialect.cancel(ready)).toBe('cancelled');
    expect(await find(ready)).toMatchObject({ status: TaskResultStatus.CANCELLED });
    near((await find(ready)).finishedAt, (await dialect.now()).getTime());
    expect(await dialect.cancel(running)).toBe('requested');
    expect(await find(running)).toMatchObject({ status: TaskResultStatus.RUNNING, cancelRequested: true });
    expect(await dialect.cancel(ready)).toBe('finished');
    expect(await dialect.cancel(newTaskId())).toBe('missing');
  });

  it('progress: fenced on worker and attempt', async () => {
    const [id] = await insert(row());
    const [task] = await claim('w1');
    await dialect.progress('w2', task, JSON.stringify({ current: 9, total: null, message: null }));
    await dialect.progress('w1', { id, attempt: 2 }, JSON.stringify({ current: 8, total: null, message: null }));
    expect((await find(id)).progress).toBeNull();
    await dialect.progress('w1', task, JSON.stringify({ current: 1, total: 2, message: 'half' }));
    expect((await find(id)).progress).toEqual({ current: 1, total: 2, message: 'half' });
  });

  it('prune: finished rows older than a time relative to the database clock, one batch at a time', async () => {
    const ids = await insert(row(), row(), row(), row());
    const tasks = await claim('w1');
    await dialect.finish('w1', tasks.slice(0, 3).map((task) => succeeded(task, 'null')));
    const request = (olderThan: TaskTime, batchSize: number) =>
      ({ olderThan, statuses: [TaskResultStatus.SUCCESSFUL], queues: [queue], batchSize });
    expect(await dialect.prune(request({ afterNow: -60_000 }, 10))).toBe(0);
    expect(await dialect.prune(request({ afterNow: 1_000 }, 2))).toBe(2);
    expect(await dialect.prune(request({ at: new Date(Date.now() + 60_000) }, 2))).toBe(1);
    expect(await dialect.find(ids[3])).not.toBeNull();
  });
  describe('workflow statements', () => {
    const task = (dependsOn: (string | { index: number })[] = [], extra: Partial<{ pipe: Pipe; onDependencyFailure: 'cancel' | 'run'; args: unknown[] }> = {}) => {
      const args = extra.args ?? [1];
      return { row: row({ args: JSON.stringify(args), values: { args, kwargs: {} }, groupId: null }), dependsOn,
        onDependencyFailure: extra.onDependencyFailure ?? 'cancel', pipe: extra.pipe ?? Pipe.None, releaseDelayMs: 0 };
    };
    const statusOf = async (id: string) => (await find(id)).status;

    it('insertTasks/insertEdges/lockTasks: a chain stored whole; an unknown dependency stores nothing', async () => {
      const tasks = [task(), task([{ index: 0 }], { pipe: Pipe.Value, args: ['x'] }), task([{ index: 1 }])];
      const stored = await insertWorkflow(dialect, tasks);
      expect(stored.map((s) => s.status)).toEqual([TaskResultStatus.READY, TaskResultStatus.WAITING, TaskResultStatus.WAITING]);
      expect(await dependencyIds(dialect, tasks[1].row.id)).toEqual([tasks[0].row.id]);
      expect(await dependentIds(dialect, tasks[0].row.id)).toEqual([tasks[1].row.id]);
      const orphan = task([newTaskId()]);
      await expect(insertWorkflow(dialect, [task(), orphan])).rejects.toThrow('dependsOn');
      expect(await dialect.find(orphan.row.id)).toBeNull();
    });

    it('finish + waitingDependents/release: the dependent is READY with the value in args[0] once the finish commits', async () => {
      const tasks = [task(), task([{ index: 0 }], { pipe: Pipe.Value, args: ['x'] })];
      await insertWorkflow(dialect, tasks);
      const [claimedTask] = await claim('w1');
      expect(claimedTask.id).toBe(tasks[0].row.id);
      await dialect.finish('w1', [succeeded(claimedTask, '{"v":7}')]);
      const dependent = await find(tasks[1].row.id);
      expect(dependent.status).toBe(TaskResultStatus.READY);
      expect(dependent.args).toEqual([{ v: 7 }, 'x']);
    });

    it('claim tells which tasks have dependents; a finish marked so writes and settles them in one transaction', async () => {
      const tasks = [task(), task([{ index: 0 }], { pipe: Pipe.Value, args: ['x'] })];
      await insertWorkflow(dialect, tasks);
      const [plainId] = await insert(row());
      const claimed = await claim('w1');
      const byId = new Map(claimed.map((t) => [t.id, t]));
      expect(byId.get(tasks[0].row.id)!.hasDependents).toBe(true);
      expect(byId.get(plainId)!.hasDependents).toBe(false);
      // Marked: the dependents' transaction only; a plain row marked so by mistake is written the same.
      await dialect.finish('w1', [
        { ...succeeded(byId.get(tasks[0].row.id)!, '{"v":8}'), hasDependents: true },
        { ...succeeded(byId.get(plainId)!, '2'), hasDependents: true },
      ]);
      expect(await find(tasks[1].row.id)).toMatchObject({ status: TaskResultStatus.READY, args: [{ v: 8 }, 'x'] });
      expect(await find(plainId)).toMatchObject({ status: TaskResultStatus.SUCCESSFUL, storedReturnValue: 2 });
      // Fenced as any finish: a second write of the same attempt changes nothing.
      await dialect.finish('w1', [{ ...failed(byId.get(tasks[0].row.id)!, ERROR, { retryable: false }), hasDependents: true }]);
      expect(await statusOf(tasks[0].row.id)).toBe(TaskResultStatus.SUCCESSFUL);
    });

    it('a task that gains dependents while it runs is finished with them, unmarked', async () => {
      const [first] = await insert(row());
      const [claimedTask] = await claim('w1');
      expect(claimedTask).toMatchObject({ id: first, hasDependents: false });
      const then = task([first], { pipe: Pipe.Value, args: ['y'] });
      await insertWorkflow(dialect, [then]);
      await dialect.finish('w1', [succeeded(claimedTask, '"z"')]);
      expect(await find(then.row.id)).toMatchObject({ status: TaskResultStatus.READY, args: ['z', 'y'] });
    });

    it('finish (failed) + cancelWithError: dependents cancelled transitively; \'run\' ones released', async () => {
      const tasks = [task(), task([{ index: 0 }]), task([{ index: 1 }]), task([{ index: 0 }], { onDependencyFailure: 'run' })];
      await insertWorkflow(dialect, tasks);
      const [claimedTask] = await claim('w1', 1);
      await dialect.finish('w1', [failed(claimedTask, ERROR, { retryable: false })]);
      expect(await Promise.all(tasks.map((t) => statusOf(t.row.id))))
        .toEqual([TaskResultStatus.FAILED, TaskResultStatus.CANCELLED, TaskResultStatus.CANCELLED, TaskResultStatus.READY]);
      expect((await find(tasks[2].row.id)).errors[0]).toMatchObject({ name: 'DependencyFailedError', message: expect.stringContaining(tasks[1].row.id) });
    });

    it('rescue of a task that has dependents: its retry keeps them waiting', async () => {
      const tasks = [task(), task([{ index: 0 }])];
      await insertWorkflow(dialect, tasks);
      await claim('w1', 1, 1);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await dialect.rescue(10)).toEqual([tasks[0].row.id]);
      expect(await statusOf(tasks[0].row.id)).toBe(TaskResultStatus.READY);
      expect(await statusOf(tasks[1].row.id)).toBe(TaskResultStatus.WAITING);
    });

    it('cancel, cancelPending, groupRows, forgetTask', async () => {
      const groupId = newTaskId();
      const tasks = [task(), task(), task([{ index: 0 }, { index: 1 }], { pipe: Pipe.Values })];
      tasks.forEach((t, index) => Object.assign(t.row, { groupId, groupPosition: index === 2 ? -1 : index }));
      await insertWorkflow(dialect, tasks);
      expect((await groupRows(dialect, groupId)).map((r) => [r.position, r.row.id]))
        .toEqual([[-1, tasks[2].row.id], [0, tasks[0].row.id], [1, tasks[1].row.id]]);
      expect(await dialect.cancel(tasks[0].row.id)).toBe('cancelled');
      expect(await statusOf(tasks[2].row.id)).toBe(TaskResultStatus.CANCELLED);
      expect(await cancelWithDependents(dialect, tasks[0].row.id)).toBe(false);
      expect(await forgetTask(dialect, tasks[1].row.id)).toBe(false);
      expect(await forgetTask(dialect, tasks[2].row.id)).toBe(true);
      expect(await dialect.find(tasks[2].row.id)).toBeNull();
      expect(await dependencyIds(dialect, tasks[2].row.id)).toEqual([]);
    });

    it('prune: the edges of pruned tasks go with them', async () => {
      const tasks = [task(), task([{ index: 0 }])];
      await insertWorkflow(dialect, tasks);
      await dialect.cancel(tasks[0].row.id);
      expect(await statusOf(tasks[1].row.id)).toBe(TaskResultStatus.CANCELLED);
      expect(await dialect.prune({ olderThan: { afterNow: 1_000 }, statuses: [TaskResultStatus.CANCELLED], queues: [queue], batchSize: 10 }))
        .toBe(2);
      expect(await dependencyIds(dialect, tasks[1].row.id)).toEqual([]);
    });
  });

  it('keyed enqueue of one task: a free key inserts; a held one resolves with its pending task, unchanged (skip) or replaced (replace); a claim frees it', async () => {
    const unique = dialect.uniqueness();
    const key = `k-${newTaskId()}`;
    const enqueue = async (replace: boolean, overrides: Partial<NewTaskRow> = {}) => {
      const task: KeyedTask = { row: { ...row(overrides), uniqueKey: key }, replace, maxWaitMs: null };
      const [outcome] = await enqueueKeyed(unique, [task], null);
      return { id: outcome.inserted ? task.row.id : outcome.row!.id!, inserted: outcome.inserted };
    };
    const first = await enqueue(false);
    expect(first.inserted).toBe(true);
    expect(await enqueue(false, { args: '[2]' })).toEqual({ id: first.id, inserted: false });
    expect(await find(first.id)).toMatchObject({ args: [1], priority: 0 });
    expect(await enqueue(true, { args: '[3]', priority: 5 })).toEqual({ id: first.id, inserted: false });
    expect(await find(first.id)).toMatchObject({ args: [3], priority: 5, status: TaskResultStatus.READY });
    expect((await claim()).map((task) => task.id)).toEqual([first.id]);
    const followUp = await enqueue(true);
    expect(followUp).toMatchObject({ inserted: true });
    expect(followUp.id).not.toBe(first.id);
    expect(await enqueue(false)).toEqual({ id: followUp.id, inserted: false });
  });
});
