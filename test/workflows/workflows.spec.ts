import { DataSource } from 'typeorm';
import {
  call, DependencyFailedError, InvalidTaskError, pipe, TaskCancelledError, TaskFailedError, TaskResult, TaskResultStatus,
} from '../../src';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { waitUntil } from '../support/wait-until';
import { FlowEvents, FlowTasks } from '../fixtures/workflow-tasks';
import { TASK_WORKER_STORE } from '../../src/tasks.constants';
import type { WorkerStore } from '../../src/interfaces/worker-store.interface';

const { WAITING, READY, SUCCESSFUL, FAILED, CANCELLED } = TaskResultStatus;

describe('workflows', () => {
  let db: TestDatabase;
  let t: TestApp;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db, [FlowTasks, FlowEvents]);
    dataSource = t.app.get(DataSource);
  });
  afterAll(async () => {
    await t.close();
    await db.cleanup();
  });
  beforeEach(() => {
    FlowTasks.runs = [];
  });

  const drain = () => t.worker.run({ batch: true, concurrency: 4 });
  const rowCount = async () => Number((await dataSource.query('SELECT COUNT(*) AS n FROM task_results'))[0].n);
  const edgeCount = async () => Number((await dataSource.query('SELECT COUNT(*) AS n FROM task_dependencies'))[0].n);

  it('keeps a dependent WAITING until its dependency succeeded, then runs it with the dependency visible', async () => {
    const first = await t.tasks.enqueue(FlowTasks, 'double', [21]);
    const second = await t.tasks.enqueue(FlowTasks, 'inspect', [], { dependsOn: [first] });
    expect(second.status).toBe(WAITING);
    expect(await second.dependencyIds()).toEqual([first.id]);
    expect(await first.dependentIds()).toEqual([second.id]);
    await drain();
    expect(await second.wait()).toEqual({ ids: [first.id], values: [42] });
    await first.refresh();
    expect(second.startedAt!.getTime()).toBeGreaterThanOrEqual(first.finishedAt!.getTime());
  });

  it('runs a diamond in dependency order; the join sees both branches in dependsOn order', async () => {
    const a = await t.tasks.enqueue(FlowTasks, 'mark', ['a']);
    const b = await t.tasks.enqueue(FlowTasks, 'mark', ['b'], { dependsOn: [a] });
    const c = await t.tasks.enqueue(FlowTasks, 'mark', ['c'], { dependsOn: [a.id] });
    const d = await t.tasks.enqueue(FlowTasks, 'inspect', [], { dependsOn: [b, c] });
    await drain();
    expect(await d.wait()).toEqual({ ids: [b.id, c.id], values: ['b', 'c'] });
    expect(FlowTasks.runs[0]).toBe('a');
    expect(FlowTasks.runs.slice(1).sort()).toEqual(['b', 'c']);
  });

  it("cancels dependents of a failed task transitively with DependencyFailedError; 'run' dependents run anyway", async () => {
    const failing = await t.tasks.enqueue(FlowTasks, 'fail', ['boom']);
    const child = await t.tasks.enqueue(FlowTasks, 'mark', ['child'], { dependsOn: [failing] });
    const grandchild = await t.tasks.enqueue(FlowTasks, 'mark', ['grandchild'], { dependsOn: [child], onDependencyFailure: 'run' });
    const runner = await t.tasks.enqueue(FlowTasks, 'inspect', [], { dependsOn: [failing], onDependencyFailure: 'run' });
    await drain();
    await child.refresh();
    await grandchild.refresh();
    expect(child.status).toBe(CANCELLED);
    expect(child.errors).toEqual([expect.objectContaining({ name: DependencyFailedError.name, message: expect.stringContaining(failing.id) })]);
    // 'run' after a cancelled dependency: it runs once that dependency is finished.
    expect(grandchild.status).toBe(SUCCESSFUL);
    expect(await runner.wait()).toEqual({ ids: [failing.id], values: [FAILED] });
    expect(FlowTasks.runs).not.toContain('child');
  });

  it('enqueueMany() with dependsOn: every task waits for the same dependencies', async () => {
    const first = await t.tasks.enqueue(FlowTasks, 'double', [5]);
    const many = await t.tasks.enqueueMany(FlowTasks, 'mark', [['x'], ['y']], { dependsOn: [first], metadata: { batch: 1 } });
    expect(many.map((r) => r.status)).toEqual([WAITING, WAITING]);
    await drain();
    expect(await Promise.all(many.map((r) => r.wait()))).toEqual(['x', 'y']);
    expect(FlowTasks.runs[0]).toBe('double:5');
    expect(FlowTasks.runs.slice(1).sort()).toEqual(['x', 'y']);
    expect((await t.tasks.getResult(many[0].id)).metadata).toEqual({ batch: 1 });
  });

  it('counts a dependency already finished at enqueue at once', async () => {
    const done = await t.tasks.enqueue(FlowTasks, 'double', [1]);
    const failed = await t.tasks.enqueue(FlowTasks, 'fail', ['early']);
    await drain();
    const ready = await t.tasks.enqueue(FlowTasks, 'mark', ['ready'], { dependsOn: [done] });
    const cancelled = await t.tasks.enqueue(FlowTasks, 'mark', ['cancelled'], { dependsOn: [done, failed] });
    expect(ready.status).toBe(READY);
    expect(cancelled.status).toBe(CANCELLED);
    expect((await t.tasks.getResult(cancelled.id)).errors[0].name).toBe('DependencyFailedError');
    await drain();
    expect(await ready.wait()).toBe('ready');
  });

  it('cancelling a task cancels its dependents, transitively', async () => {
    const head = await t.tasks.enqueue(FlowTasks, 'mark', ['head']);
    const middle = await t.tasks.enqueue(FlowTasks, 'mark', ['middle'], { dependsOn: [head] });
    const tail = await t.tasks.enqueue(FlowTasks, 'mark', ['tail'], { dependsOn: [middle] });
    expect((await t.tasks.cancel(head.id)).status).toBe(CANCELLED);
    await middle.refresh();
    await tail.refresh();
    expect([middle.status, tail.status]).toEqual([CANCELLED, CANCELLED]);
    expect(tail.errors[0].message).toContain(middle.id);
    // Every cancellation, cascaded ones too, fires `cancelled`.
    await waitUntil(() => [head.id, middle.id, tail.id].every((id) => FlowEvents.cancelled.includes(id)), 5000);
    // Cancelling a WAITING task cancels it too.
    const a = await t.tasks.enqueue(FlowTasks, 'mark', ['a']);
    const b = await t.tasks.enqueue(FlowTasks, 'mark', ['b'], { dependsOn: [a] });
    expect((await t.tasks.cancel(b.id)).status).toBe(CANCELLED);
    await drain();
    expect(FlowTasks.runs).toEqual(['a']);
  });

  it('groups: wait() gives the values in order, iterate() each member once as it finishes, counts and getGroup', async () => {
    const group = await t.tasks.group([call(FlowTasks, 'double', [1]), call(FlowTasks, 'double', [2]), call(FlowTasks, 'shout', ['x'])]);
    expect(group.results.map((r) => r.groupId)).toEqual([group.id, group.id, group.id]);
    expect(group.counts[READY]).toBe(3);
    expect(group.isFinished).toBe(false);
    const worker = drain();
    const seen: string[] = [];
    for await (const member of group.iterate({ timeout: 20_000 })) seen.push(member.id);
    await worker;
    const values: [number, number, string] = await group.wait();
    expect(values).toEqual([2, 4, 'X']);
    expect(seen.sort()).toEqual(group.results.map((r) => r.id).sort());
    const loaded = await t.tasks.getGroup(group.id);
    expect(loaded.results.map((r) => r.id)).toEqual(group.results.map((r) => r.id));
    expect(loaded.counts[SUCCESSFUL]).toBe(3);
    expect(loaded.callback).toBeNull();
  });

  it('a chord of 1 000: the callback runs once, after every member, with their values in order', async () => {
    const calls = Array.from({ length: 1000 }, (_, i) => call(FlowTasks, 'double', [i]));
    const chord = await t.tasks.group(calls, { then: pipe(FlowTasks, 'sum', ['total']) });
    expect(chord.callback!.status).toBe(WAITING);
    await t.worker.run({ batch: true, concurrency: 20 });
    expect(await chord.callback!.wait()).toBe(`total=${999 * 1000}`);
    const sums = FlowTasks.runs.filter((run) => run.startsWith('sum:'));
    expect(sums).toEqual([`sum:${Array.from({ length: 1000 }, (_, i) => i * 2).join(',')}`]);
    expect(FlowTasks.runs.indexOf(sums[0])).toBe(1000);
    const callback = await t.tasks.getResult(chord.callback!.id);
    expect((await callback.dependencyIds())).toEqual(chord.results.map((r) => r.id));
  }, 120_000);

  it('a chain pipes each return value into the next pipe() step (args[0]); call() steps receive nothing', async () => {
    const chain = await t.tasks.chain([
      call(FlowTasks, 'double', [2]), pipe(FlowTasks, 'inc', []), call(FlowTasks, 'mark', ['plain']), pipe(FlowTasks, 'shout', []),
    ]);
    expect(chain.results.map((r) => r.status)).toEqual([READY, WAITING, WAITING, WAITING]);
    await drain();
    const last: string = await chain.wait();
    expect(last).toBe('PLAIN');
    expect(FlowTasks.runs).toEqual(['double:2', 'inc:4', 'plain', 'shout:plain']);
    const loaded = await t.tasks.getChain<string>(chain.id);
    expect(loaded.results[1].args).toEqual([4]);
    expect(loaded.last.id).toBe(chain.last.id);
  });

  it('a chain of 50 runs each step once, in order', async () => {
    const steps = [call(FlowTasks, 'inc', [0]), ...Array.from({ length: 49 }, () => pipe(FlowTasks, 'inc', []))] as const;
    const chain = await t.tasks.chain(steps);
    await drain();
    expect(await chain.wait()).toBe(50);
    expect(FlowTasks.runs).toEqual(Array.from({ length: 50 }, (_, i) => `inc:${i}`));
  }, 60_000);

  it('a chain\'s worker claims each step after the commit that releases it, not before', async () => {
    const { dialect } = t.app.get<WorkerStore>(TASK_WORKER_STORE);
    const claim = dialect.claim;
    let empty = 0;
    dialect.claim = async (request) => {
      const claimed = await claim.call(dialect, request);
      if (claimed.length === 0) empty++;
      return claimed;
    };
    try {
      const steps = [call(FlowTasks, 'inc', [0]), ...Array.from({ length: 29 }, () => pipe(FlowTasks, 'inc', []))] as const;
      const chain = await t.tasks.chain(steps);
      await drain();
      expect(await chain.wait()).toBe(30);
    } finally {
      dialect.claim = claim;
    }
    // Claimed when a step's slot freed and again at each of the two wake-ups its commit brings,
    // a step cost two claims that found nothing (57 in 30 steps). A worker may still hear its own
    // commit of each release, as other processes' workers do (PostgreSQL's NOTIFY, SQLite's watch
    // of the file, which the sqlite3 driver's slower commits let arrive after the claim): one more
    // claim a step, at most. MySQL has no such wake-up. The batch run ends at an empty claim.
    const echoes = db.describe().type === 'mysql' ? 0 : 30;
    expect(empty).toBeLessThanOrEqual(echoes + 3);
  }, 60_000);

  it('a failure in the middle of a chain cancels the rest; wait() rejects with the failing step\'s error', async () => {
    const chain = await t.tasks.chain([call(FlowTasks, 'double', [1]), call(FlowTasks, 'fail', ['midway']), pipe(FlowTasks, 'inc', [])]);
    await drain();
    await expect(chain.wait()).rejects.toThrow(TaskFailedError);
    await expect(chain.wait()).rejects.toMatchObject({ error: expect.objectContaining({ message: 'midway' }) });
    expect(chain.results.map((r) => r.status)).toEqual([SUCCESSFUL, FAILED, CANCELLED]);
    // A chord whose member fails: the callback is cancelled, group.wait() rejects with that member's error.
    const chord = await t.tasks.group([call(FlowTasks, 'double', [1]), call(FlowTasks, 'fail', ['member'])],
      { then: pipe(FlowTasks, 'sum', ['never']) });
    await drain();
    await expect(chord.wait()).rejects.toThrow(TaskFailedError);
    await expect(chord.callback!.wait()).rejects.toThrow(TaskCancelledError);
    expect(FlowTasks.runs.some((run) => run.startsWith('sum:'))).toBe(false);
  });

  it('cancels a running group: running members stop, waiting ones and the callback are cancelled', async () => {
    const chord = await t.tasks.group([call(FlowTasks, 'block', []), call(FlowTasks, 'block', [])], { then: call(FlowTasks, 'mark', ['after']) });
    const worker = t.worker.run({ concurrency: 4, pollInterval: 20 });
    await waitUntil(async () => (await chord.refresh()).counts[TaskResultStatus.RUNNING] === 2, 20_000);
    await chord.cancel();
    await waitUntil(async () => (await chord.refresh()).isFinished && chord.callback!.isFinished, 20_000);
    await t.worker.stop();
    await worker;
    expect(chord.results.map((r) => r.status)).toEqual([CANCELLED, CANCELLED]);
    expect(chord.callback!.status).toBe(CANCELLED);
    expect(FlowTasks.runs).not.toContain('after');
  });

  it('refuses bad input with InvalidTaskError and stores nothing', async () => {
    const before = [await rowCount(), await edgeCount()];
    const unknownId = '01890a5d-ac96-774b-bcce-b302099a8057';
    await expect(t.tasks.enqueue(FlowTasks, 'mark', ['x'], { dependsOn: [unknownId] })).rejects.toThrow(InvalidTaskError);
    await expect(t.tasks.enqueue(FlowTasks, 'mark', ['x'], { dependsOn: ['not-an-id'] })).rejects.toThrow(InvalidTaskError);
    await expect(t.tasks.group([])).rejects.toThrow(InvalidTaskError);
    await expect(t.tasks.chain([call(FlowTasks, 'double', [1])] as never)).rejects.toThrow(InvalidTaskError);
    // @ts-expect-error a chain cannot start with a pipe()
    await expect(t.tasks.chain([pipe(FlowTasks, 'inc', []), call(FlowTasks, 'double', [1])])).rejects.toThrow(InvalidTaskError);
    await expect(t.tasks.group([call(FlowTasks, 'double', [1]), call('no.such.task', [])])).rejects.toThrow(InvalidTaskError);
    await expect(t.tasks.chain([call(FlowTasks, 'double', [1]), call(FlowTasks, 'double', [2], { key: 'k' } as never)]))
      .rejects.toThrow(InvalidTaskError);
    await expect(t.tasks.group([call(FlowTasks, 'double', [1], { manager: dataSource.manager } as never)])).rejects.toThrow(InvalidTaskError);
    for (const option of ['debounce', 'throttle']) {
      await expect(t.tasks.group([call(FlowTasks, 'double', [1], { [option]: 1000 } as never)])).rejects.toThrow(InvalidTaskError);
    }
    // A chord whose callback depends on an unknown task would not get here; one unknown id in a group's member list does.
    await expect(t.tasks.enqueue(FlowTasks, 'mark', ['x'], { dependsOn: [unknownId, (await t.tasks.enqueue(FlowTasks, 'double', [1])).id] }))
      .rejects.toThrow(InvalidTaskError);
    expect([await rowCount() - 1, await edgeCount()]).toEqual(before);
  });

  it('with manager, a workflow joins the caller\'s transaction: a rollback stores none of it', async () => {
    const before = [await rowCount(), await edgeCount()];
    await expect(dataSource.transaction(async (manager) => {
      await t.tasks.chain([call(FlowTasks, 'double', [1]), pipe(FlowTasks, 'inc', [])], { manager });
      await t.tasks.group([call(FlowTasks, 'double', [1])], { manager, then: pipe(FlowTasks, 'sum', ['x']) });
      throw new Error('rolled back');
    })).rejects.toThrow('rolled back');
    expect([await rowCount(), await edgeCount()]).toEqual(before);
    const chain = await dataSource.transaction((manager) =>
      t.tasks.chain([call(FlowTasks, 'double', [3]), pipe(FlowTasks, 'inc', [])], { manager }));
    await drain();
    expect(await chain.wait()).toBe(7);
  });

  it('metadata, toJSON(), duration, forget() and context().requeue()', async () => {
    const result = await t.tasks.enqueue(FlowTasks, 'requeueOnce', [], { metadata: { tenant: 'acme', tags: ['a'] } });
    await drain();
    await result.refresh();
    expect(await result.wait()).toBe(1);
    expect(result.attempts).toBe(1);
    expect(FlowTasks.runs).toEqual(['requeueOnce', 'requeueOnce']);
    expect(result.metadata).toEqual({ tenant: 'acme', tags: ['a'] });
    expect(result.duration).toBeGreaterThanOrEqual(0);
    const json = JSON.parse(JSON.stringify(result));
    expect(json).toMatchObject({ id: result.id, status: SUCCESSFUL, returnValue: 1, metadata: { tenant: 'acme', tags: ['a'] } });
    const waiting = await t.tasks.enqueue(FlowTasks, 'mark', ['w'], { dependsOn: [await t.tasks.enqueue(FlowTasks, 'double', [1])] });
    expect(await waiting.forget()).toBe(false);
    expect(await result.forget()).toBe(true);
    await expect(result.refresh()).rejects.toThrow();
    await drain();
  });

  it('types: pipe() steps and chord callbacks must take what comes before them; call() needs all arguments', () => {
    // Compile-time checks only (tsc --noEmit); nothing runs.
    const check = (run: boolean) => {
      if (!run) return;
      // @ts-expect-error shout takes a string, double returns a number
      void t.tasks.chain([call(FlowTasks, 'double', [1]), pipe(FlowTasks, 'shout', [])]);
      // @ts-expect-error sum takes number[], the members return strings
      void t.tasks.group([call(FlowTasks, 'shout', ['a'])], { then: pipe(FlowTasks, 'sum', ['x']) });
      // @ts-expect-error add's arguments are missing
      void call(FlowTasks, 'double', []);
      // @ts-expect-error sum's second argument is missing
      void pipe(FlowTasks, 'sum', []);
      const ok: Promise<unknown> = t.tasks.chain([call(FlowTasks, 'double', [1]), pipe(FlowTasks, 'inc', []), call(FlowTasks, 'shout', ['s'])]);
      void ok;
      void (async () => {
        const chord = await t.tasks.group([call(FlowTasks, 'double', [1])], { then: pipe(FlowTasks, 'sum', ['x']) });
        const callback: TaskResult<string> = chord.callback; // a chord has its callback
        const values: [number] = await chord.wait();
        const plain = await t.tasks.group([call(FlowTasks, 'double', [1])]);
        const none: null = plain.callback; // a plain group has none
        const last: number = await (await t.tasks.chain([call(FlowTasks, 'shout', ['a']), call(FlowTasks, 'double', [1])])).wait();
        void [callback, values, none, last];
      })();
    };
    check(false);
    expect(TaskResult).toBeDefined();
  });
});
