import { DataSource } from 'typeorm';
import { createDialect } from '../../src/dialects/create-dialect';
import type { NewTaskRow, TaskDialect } from '../../src/dialects/task-dialect.interface';
import { DatabaseScheduleStore } from '../../src/schedules/database-schedule.store';
import type { ScheduleDefinition } from '../../src/schedules/schedule.store';
import type { TaskResult } from '../../src/entities/task-result.entity';
import { newTaskId } from '../../src/task-id';
import { TaskResultStatus } from '../../src/task-result-status.enum';
import { createDatabase, newDataSource, TestDatabase, TestDb } from '../support/test-database';

/**
 * The named schedule statements of every dialect, built directly from a DataSource, against each
 * database in one run: above all the compare-and-set that makes a tick enqueue once.
 */
const DATABASES = (process.env.DIALECT_DBS ?? 'sqlite,sqlite3,postgres,mysql').split(',') as TestDb[];

describe.each(DATABASES)('schedule statements, dialect %s', (type) => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let dialect: TaskDialect;
  let store: DatabaseScheduleStore;
  const inserted: string[] = [];

  beforeAll(async () => {
    db = await createDatabase(type);
    dataSource = await newDataSource(db.options).initialize();
    dialect = createDialect(dataSource);
    await dialect.checkSchema();
    store = new DatabaseScheduleStore({
      dialect,
      inserted: (rows) => {
        inserted.push(...rows.map((row) => row.id));
        return [] as TaskResult[];
      },
      getResult: async () => ({}) as TaskResult,
    });
  });
  afterAll(async () => {
    await dialect?.close();
    await dataSource?.destroy();
    await db?.cleanup();
  });

  const definition = (overrides: Partial<ScheduleDefinition> = {}): ScheduleDefinition => ({
    id: `s-${newTaskId()}`, taskName: 'T.run', isStatic: false, cron: '* * * * * *', timeZone: 'UTC', args: [1, 'a'],
    queueName: null, priority: null, backfill: 0, overlap: true, ...overrides,
  });
  const row = (): NewTaskRow => ({
    id: newTaskId(), taskName: 'T.run', queueName: 'schedules', priority: 0, args: '[1]', kwargs: '{}', backend: 'database',
    runAfter: { afterNow: 0 }, enqueuedAt: new Date(), maxAttempts: 1, values: { args: [1], kwargs: {} },
  });

  it('insert, find, update keeping paused and next_run_at unless cron or zone changed, remove', async () => {
    const next = new Date(Date.UTC(2030, 0, 1, 0, 0, 1));
    const schedule = definition();
    await store.save(schedule, next);
    expect(await store.find(schedule.id)).toMatchObject({ ...schedule, paused: false, nextRunAt: next, lastRunAt: null, lastTaskId: null });
    expect(await store.pause(schedule.id)).toBe(true);
    await store.save({ ...schedule, args: [2], priority: 3, queueName: 'q', backfill: 5_000, overlap: false }, new Date(Date.UTC(2031, 0, 1)));
    expect(await store.find(schedule.id)).toMatchObject({ paused: true, nextRunAt: next, args: [2], priority: 3, queueName: 'q', backfill: 5_000, overlap: false });
    const moved = new Date(Date.UTC(2031, 0, 1));
    await store.save({ ...schedule, timeZone: 'Europe/Paris' }, moved);
    expect((await store.find(schedule.id))!.nextRunAt).toEqual(moved);
    expect(await store.resume(schedule.id, next)).toBe(true);
    expect(await store.resume(schedule.id, next)).toBe(false);
    expect((await store.list()).map((s) => s.id)).toContain(schedule.id);
    expect(await store.remove(schedule.id)).toBe(true);
    expect(await store.find(schedule.id)).toBeNull();
  });

  it('the compare-and-set: of concurrent claims of one tick exactly one wins and inserts its task with the tick', async () => {
    const from = new Date(Date.UTC(2030, 0, 1, 0, 0, 1));
    const to = new Date(Date.UTC(2030, 0, 1, 0, 0, 2));
    const schedule = definition();
    await store.save(schedule, from);
    const rows = Array.from({ length: 6 }, row);
    const wins = await Promise.all(rows.map((r) => store.advance(schedule.id, from, to, { tick: from, row: r })));
    expect(wins.filter(Boolean)).toHaveLength(1);
    const winner = rows[wins.indexOf(true)];
    const found = await dialect.find(winner.id);
    expect(found).toMatchObject({ status: TaskResultStatus.READY, scheduledAt: from });
    for (const loser of rows.filter((_, index) => !wins[index])) expect(await dialect.find(loser.id)).toBeNull();
    expect(await store.find(schedule.id)).toMatchObject({ nextRunAt: to, lastRunAt: from, lastTaskId: winner.id });
    expect(await store.isUnfinished(winner.id)).toBe(true);
    // A skip is a compare-and-set too; a stale one changes nothing.
    expect(await store.advance(schedule.id, from, new Date(Date.UTC(2030, 0, 1, 0, 0, 9)), null)).toBe(false);
    expect(await store.advance(schedule.id, to, new Date(Date.UTC(2030, 0, 1, 0, 0, 9)), null)).toBe(true);
    // A paused schedule's tick is not claimed.
    await store.pause(schedule.id);
    expect(await store.advance(schedule.id, new Date(Date.UTC(2030, 0, 1, 0, 0, 9)), new Date(Date.UTC(2030, 0, 1, 0, 0, 10)), { tick: to, row: row() })).toBe(false);
  });

  it('upcoming lists unpaused schedules, earliest first; trigger inserts a run now', async () => {
    const early = definition();
    const late = definition();
    const paused = definition();
    await store.save(late, new Date(Date.UTC(2000, 0, 1, 0, 0, 5)));
    await store.save(early, new Date(Date.UTC(2000, 0, 1, 0, 0, 1)));
    await store.save(paused, new Date(Date.UTC(2000, 0, 1)));
    await store.pause(paused.id);
    const other = definition({ taskName: 'Other.run' });
    await store.save(other, new Date(Date.UTC(1999, 0, 1)));
    const upcoming = await store.upcoming(['T.run'], 1000);
    expect(upcoming.schedules.map((s) => s.id)).not.toContain(other.id);
    expect((await store.upcoming(['Other.run', 'X'], 1000)).schedules.map((s) => s.id)).toEqual([other.id]);
    expect(Math.abs(upcoming.now!.getTime() - Date.now())).toBeLessThan(2_000);
    const ids = upcoming.schedules.map((s) => s.id);
    expect(ids.indexOf(early.id)).toBeLessThan(ids.indexOf(late.id));
    expect(ids).not.toContain(paused.id);
    const now = await store.now();
    const run = row();
    await store.trigger(paused.id, run, now);
    expect(await dialect.find(run.id)).toMatchObject({ scheduledAt: now });
    expect(await store.find(paused.id)).toMatchObject({ lastTaskId: run.id, lastRunAt: now, paused: true });
    expect(inserted).toContain(run.id);
  });
});
