import type { Database, Statement } from 'better-sqlite3';
import { TasksError } from '../../task.errors';
import { OWN_CONNECTION_CACHE, SqliteConnection, SqliteParams, SqliteTransaction } from './sqlite-connection';

/** How long a write waits for the database to be free before it fails with SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 10_000;
/**
 * SQLite's own busy handler sleeps synchronously, stalling the event loop; a worker in the same
 * process as an application transaction would then block the very commit it waits for. So the
 * connection waits only briefly inside SQLite and retries asynchronously after that.
 */
const SYNC_BUSY_WAIT_MS = 20;

/**
 * The SQLite port over better-sqlite3. Statements run synchronously; `immediate` is async only
 * to wait for the lock and to queue behind a transaction in progress.
 */
export class BetterSqlite3Connection implements SqliteConnection {
  private readonly statements = new Map<string, Statement>();
  private readonly begin: Statement;
  private readonly commit: Statement;
  private readonly rollback: Statement;
  private locked = false;
  private readonly waiting: (() => void)[] = [];
  private readonly runner: SqliteTransaction = {
    all: async <R>(sql: string, params: SqliteParams = []) => this.prepare(sql).all(...params) as R[],
    get: async <R>(sql: string, params: SqliteParams = []) => this.prepare(sql).get(...params) as R | undefined,
    run: async (sql: string, params: SqliteParams = []) => ({ changes: this.prepare(sql).run(...params).changes }),
    runEach: async (sql: string, paramLists: readonly SqliteParams[]) => {
      const statement = this.prepare(sql);
      return paramLists.map((params) => statement.run(...params).changes);
    },
  };

  /** Opens a connection of its own to `file` (WAL, as an application sharing the file uses). */
  static open(Driver: new (file: string) => Database, file: string): BetterSqlite3Connection {
    const db = new Driver(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma(`busy_timeout = ${SYNC_BUSY_WAIT_MS}`);
    db.pragma(OWN_CONNECTION_CACHE);
    return new BetterSqlite3Connection(db, true);
  }

  constructor(private readonly db: Database, private readonly ownsConnection: boolean) {
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
  }

  async all<R = Record<string, unknown>>(sql: string, params: SqliteParams = []): Promise<R[]> {
    if (this.locked) await this.lock().then(() => this.unlock());
    return this.prepare(sql).all(...params) as R[];
  }

  async get<R = Record<string, unknown>>(sql: string, params: SqliteParams = []): Promise<R | undefined> {
    if (this.locked) await this.lock().then(() => this.unlock());
    return this.prepare(sql).get(...params) as R | undefined;
  }

  run(sql: string, params: SqliteParams = []): Promise<{ changes: number }> {
    return this.immediate((tx) => tx.run(sql, params));
  }

  async immediate<T>(work: (tx: SqliteTransaction) => Promise<T>): Promise<T> {
    await this.lock();
    try {
      await this.beginImmediate();
      let result: T;
      try {
        result = await work(this.runner);
      } catch (error) {
        if (this.db.inTransaction) this.rollback.run();
        throw error;
      }
      this.commit.run();
      return result;
    } finally {
      this.unlock();
    }
  }

  async close(): Promise<void> {
    this.statements.clear();
    if (this.ownsConnection && this.db.open) this.db.close();
  }

  private prepare(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) this.statements.set(sql, (statement = this.db.prepare(sql)));
    return statement;
  }

  private async beginImmediate(): Promise<void> {
    const deadline = Date.now() + BUSY_TIMEOUT_MS;
    for (let retry = 1; ; retry++) {
      if (!this.db.inTransaction) {
        try {
          this.begin.run();
          return;
        } catch (error) {
          if ((error as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw error;
        }
      } else if (Date.now() >= deadline) {
        // Only a connection shared with the application can be in a transaction here.
        throw new TasksError('The SQLite connection stayed inside an application transaction for 10 s; the task write was not made.');
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(50, retry * 2)));
    }
  }

  private lock(): Promise<void> {
    if (!this.locked) {
      this.locked = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private unlock(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.locked = false;
  }
}
