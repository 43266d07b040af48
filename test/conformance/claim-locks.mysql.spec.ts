import { format, Pool, PoolConnection } from 'mysql2';
import { DataSource } from 'typeorm';
import { createDialect } from '../../src/dialects/create-dialect';
import type { ClaimedTask, TaskDialect } from '../../src/dialects/task-dialect.interface';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { SampleTasks } from '../fixtures/sample-tasks';

const QUEUES = Array.from({ length: 40 }, (_, index) => `queue-${String(index).padStart(2, '0')}`);
const PER_QUEUE = 10;
const LIMIT = 5;

type QueryFn = (sql: string, values: unknown[], callback: (error: Error | null, result: unknown) => void) => void;

/**
 * Holds a claim of one DataSource between its locking reads and its update, and records the
 * statements it ran: what a concurrent claimer meets while another claim holds its locks.
 */
class HeldClaims {
  readonly statements: string[] = [];
  private gate: Promise<void> | null = null;
  private reached?: () => void;
  private readonly patched = new Set<PoolConnection>();

  constructor(pool: Pool) {
    const getConnection = pool.getConnection.bind(pool);
    (pool as { getConnection: Pool['getConnection'] }).getConnection = (callback) => getConnection((error, connection) => {
      if (connection && !this.patched.has(connection)) this.patch(connection);
      callback(error, connection);
    });
  }

  /** Starts `claim` and resolves once it holds its locks, with a function that lets it finish. */
  async hold(claim: () => Promise<ClaimedTask[]>): Promise<() => Promise<ClaimedTask[]>> {
    this.statements.length = 0;
    let open!: () => void;
    this.gate = new Promise<void>((resolve) => (open = resolve));
    const reached = new Promise<void>((resolve) => (this.reached = resolve));
    const claiming = claim();
    await Promise.race([reached, claiming]);
    return () => {
      this.gate = null;
      open();
      return claiming;
    };
  }

  private patch(connection: PoolConnection): void {
    this.patched.add(connection);
    const query = (connection.query as unknown as QueryFn).bind(connection);
    (connection as unknown as { query: QueryFn }).query = (sql, values, callback) => {
      const text = format(sql, (values ?? []) as Parameters<typeof format>[1]);
      if (/^\s*\(?\s*SELECT/i.test(text)) this.statements.push(text);
      if (this.gate && /SET status = 'RUNNING'/.test(text)) {
        this.reached?.();
        void this.gate.then(() => {
          query(sql, values, callback);
        });
        return;
      }
      query(sql, values, callback);
    };
  }
}

/**
 * Claims on MySQL/MariaDB must be index-ordered on every path (many queues, '*'): a filesort
 * under FOR UPDATE SKIP LOCKED locks every due row it reads, and a concurrent claimer then finds
 * nothing to take.
 */
describe('claims lock only the rows they take, however many queues', () => {
  let db: TestDatabase;
  let t: TestApp;
  const sources: DataSource[] = [];
  let first: TaskDialect;
  let second: TaskDialect;
  let held: HeldClaims;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db, [SampleTasks]);
    for (const queueName of QUEUES) {
      await t.tasks.enqueueMany(SampleTasks, 'add', Array.from({ length: PER_QUEUE }, (_, i) => [i, i] as [number, number]), { queueName });
    }
    for (let i = 0; i < 2; i++) sources.push(await new DataSource(db.options).initialize());
    await sources[0].query('ANALYZE TABLE task_results');
    [first, second] = sources.map((source) => createDialect(source));
    for (const dialect of [first, second]) await dialect.checkSchema();
    held = new HeldClaims((sources[0].driver as unknown as { pool: Pool }).pool);
  });
  afterAll(async () => {
    for (const dialect of [first, second]) await dialect?.close();
    for (const source of sources) await source.destroy();
    await t.close();
    await db.cleanup();
  });

  it.each([
    ['40 queues', QUEUES],
    ["'*' over 40 queues", null],
  ])('%s: a concurrent claimer gets tasks while another claim holds its locks; no statement filesorts', async (_, queues) => {
    const finish = await held.hold(() => first.claim({ workerId: 'first', queues, limit: LIMIT, leaseMs: 60_000 }));
    const meanwhile = await second.claim({ workerId: 'second', queues, limit: LIMIT, leaseMs: 60_000 });
    const taken = await finish();
    expect(taken).toHaveLength(LIMIT);
    expect(meanwhile).toHaveLength(LIMIT);
    expect(meanwhile.filter((task) => taken.some((other) => other.id === task.id))).toEqual([]);

    expect(held.statements.length).toBeGreaterThan(0);
    for (const statement of held.statements) {
      const plan: { table: string | null; type: string; Extra: string | null }[] = await sources[1].query(`EXPLAIN ${statement}`);
      // A union's own result row reads what its branches produced, not the table.
      for (const step of plan.filter((row) => !row.table?.startsWith('<union'))) {
        expect({ statement, extra: step.Extra ?? '' }).not.toMatchObject({ extra: expect.stringMatching(/filesort/i) });
        expect({ statement, type: step.type }).not.toMatchObject({ type: 'ALL' });
      }
    }
  });
});
