import type { Database, Statement } from 'sqlite3';
import { FifoLock } from './fifo.lock';
import { OWN_CONNECTION_CACHE, SqliteConnection, SqliteParams, SqliteStatementRunner, SqliteTransaction } from './sqlite-connection';

/** The `sqlite3` module as TypeORM 0.3 has loaded it (`driver.sqlite`). */
export interface Sqlite3Module {
  Database: {
    new (file: string, callback: (error: Error | null) => void): Database;
    new (file: string, mode: number, callback: (error: Error | null) => void): Database;
  };
}

export interface Sqlite3ConnectionOptions {
  /** How long one call may keep finding the database locked by another connection before it fails with SQLITE_BUSY. */
  busyTimeoutMs?: number;
}

export interface Sqlite3OpenOptions extends Sqlite3ConnectionOptions {
  /** `sqlite3.OPEN_*` flags, as the application's DataSource was given them. */
  flags?: number;
  /** SQLCipher key, as the application's DataSource was given it. */
  key?: string;
}

/** How long a write waits for the database to be free before it fails with SQLITE_BUSY. */
export const SQLITE3_BUSY_TIMEOUT_MS = 10_000;
/**
 * How long SQLite's own busy handler waits before the connection gives up its turn. It sleeps on
 * a libuv thread, not the event loop, but while it sleeps the connection runs nothing else: a
 * `getResult` would wait behind a claim that waits for another process. 50 ms covers the commit
 * of a typical write transaction at SQLite's fine-grained sleeps (1, 2, 5, 10, 15, 20 ms); a
 * longer wait continues asynchronously, letting reads through between tries.
 */
const IN_SQLITE_BUSY_WAIT_MS = 50;
const MAX_RETRY_PAUSE_MS = 50;

/**
 * The SQLite port over the asynchronous `sqlite3` driver: one connection, shared by every
 * statement of the dialect.
 *
 * The driver runs each statement on a libuv thread and keeps no order between statements in
 * flight together, so a transaction spread over several awaits would take in any statement
 * issued meanwhile. Calls therefore take turns (`FifoLock`): writes among themselves for the
 * whole of their retries, and every call for each try on the connection, so a read can run
 * between two tries of a write that waits for another process. Writes begin with
 * `BEGIN IMMEDIATE`: a deferred transaction that read first could never get the write lock once
 * another connection had committed (SQLITE_BUSY_SNAPSHOT in WAL mode), whatever the busy timeout.
 */
export class Sqlite3Connection implements SqliteConnection {
  private readonly connectionTurn = new FifoLock();
  private readonly writeTurn = new FifoLock();
  private readonly statements = new Map<string, Promise<Statement>>();
  private readonly busyTimeoutMs: number;
  private closed = false;
  private readonly runner: SqliteTransaction = {
    all: (sql, params) => this.statement(sql).then((statement) => allRows(statement, params)),
    get: <R>(sql: string, params?: SqliteParams) => this.statement(sql).then((statement) => allRows<R>(statement, params)).then((rows) => rows[0]),
    run: (sql, params) => this.statement(sql).then((statement) => runChanges(statement, params)),
    runEach: async (sql, paramLists) => {
      const statement = await this.statement(sql);
      const changes: number[] = [];
      for (const params of paramLists) changes.push((await runChanges(statement, params)).changes);
      return changes;
    },
  };

  private constructor(
    private readonly opened: Promise<Database>,
    private readonly ownsDatabase: boolean,
    options: Sqlite3ConnectionOptions,
  ) {
    this.busyTimeoutMs = options.busyTimeoutMs ?? SQLITE3_BUSY_TIMEOUT_MS;
    // A failure to open is reported by every call; it must not also be an unhandled rejection.
    opened.catch(() => undefined);
  }

  /**
   * A connection of its own to `file`, in WAL mode so readers and the writer do not block each
   * other. Returned at once (dialects are built synchronously); calls wait until it is open.
   */
  static open(sqlite: Sqlite3Module, file: string, options: Sqlite3OpenOptions = {}): Sqlite3Connection {
    let connection: Sqlite3Connection;
    const opened = new Promise<Database>((resolve, reject) => {
      const done = (error: Error | null) => (error ? reject(error) : resolve(db));
      // The driver takes the callback as the second argument unless a mode (a number) is there.
      const db: Database = options.flags === undefined ? new sqlite.Database(file, done) : new sqlite.Database(file, options.flags, done);
    }).then(async (db) => {
      try {
        if (options.key !== undefined) await exec(db, `PRAGMA key = ${JSON.stringify(options.key)}`);
        await exec(db, `PRAGMA busy_timeout = ${IN_SQLITE_BUSY_WAIT_MS}`);
        // Switching to WAL needs a moment alone with the file: other processes may be writing.
        await connection.retryWhileBusy(() => exec(db, 'PRAGMA journal_mode = WAL'));
        await exec(db, 'PRAGMA synchronous = NORMAL');
        await exec(db, `PRAGMA ${OWN_CONNECTION_CACHE}`);
        return db;
      } catch (error) {
        await new Promise<void>((resolve) => db.close(() => resolve()));
        throw error;
      }
    });
    return (connection = new Sqlite3Connection(opened, true, options));
  }

  /**
   * The application's own connection, for a database that exists only there (`:memory:`). The
   * application's TypeORM transactions run on it too: a write waits while one is open.
   */
  static shared(db: Database, options: Sqlite3ConnectionOptions = {}): Sqlite3Connection {
    return new Sqlite3Connection(Promise.resolve(db), false, options);
  }

  all<R = Record<string, unknown>>(sql: string, params?: SqliteParams): Promise<R[]> {
    return this.read((runner) => runner.all<R>(sql, params));
  }

  get<R = Record<string, unknown>>(sql: string, params?: SqliteParams): Promise<R | undefined> {
    return this.read((runner) => runner.get<R>(sql, params));
  }

  run(sql: string, params?: SqliteParams): Promise<{ changes: number }> {
    return this.immediate((tx) => tx.run(sql, params));
  }

  /**
   * Runs `work` in a `BEGIN IMMEDIATE` transaction and commits it. While another connection
   * holds the write lock, it tries again asynchronously until the busy timeout, so the event loop
   * (and the application's own transaction, which may be what holds the lock) keeps running.
   * `work` may run more than once: it must do nothing but its statements.
   */
  immediate<T>(work: (tx: SqliteTransaction) => Promise<T>): Promise<T> {
    if (this.closed) return closedError();
    return this.writeTurn.run(() => this.retryWhileBusy(() => this.connectionTurn.run(() => this.transaction(work))));
  }

  /** Waits for the calls already made, then releases the statements (and the connection, if it is its own). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writeTurn.run(() =>
      this.connectionTurn.run(async () => {
        const statements = await Promise.allSettled(this.statements.values());
        this.statements.clear();
        for (const statement of statements) {
          if (statement.status === 'fulfilled') await new Promise<void>((resolve) => statement.value.finalize(() => resolve()));
        }
        const db = await this.opened.catch(() => null);
        if (db && this.ownsDatabase) await new Promise<void>((resolve, reject) => db.close((error) => (error ? reject(error) : resolve())));
      }),
    );
  }

  private read<T>(work: (runner: SqliteStatementRunner) => Promise<T>): Promise<T> {
    if (this.closed) return closedError();
    return this.retryWhileBusy(() => this.connectionTurn.run(() => work(this.runner)));
  }

  private async transaction<T>(work: (tx: SqliteTransaction) => Promise<T>): Promise<T> {
    const db = await this.opened;
    await exec(db, 'BEGIN IMMEDIATE');
    try {
      const result = await work(this.runner);
      await exec(db, 'COMMIT');
      return result;
    } catch (error) {
      // A failed COMMIT (SQLITE_BUSY while readers finish, in rollback-journal mode) leaves the
      // transaction open; some errors have already rolled it back. Either way none stays open.
      await exec(db, 'ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  private async retryWhileBusy<T>(attempt: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.busyTimeoutMs;
    for (let retry = 1; ; retry++) {
      try {
        return await attempt();
      } catch (error) {
        if (!(isBusy(error) || (!this.ownsDatabase && isInTransaction(error))) || Date.now() >= deadline) throw error;
        // Jittered, so that processes waiting for the same lock do not keep colliding.
        const pause = Math.min(MAX_RETRY_PAUSE_MS, retry * 5) * (0.5 + Math.random() / 2);
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
  }

  /** Prepared once per SQL text and kept: the dialect's statements are a handful of fixed texts. */
  private statement(sql: string): Promise<Statement> {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.opened.then((db) => new Promise<Statement>((resolve, reject) => {
        const prepared: Statement = db.prepare(sql, (error: Error | null) => (error ? reject(error) : resolve(prepared)));
      }));
      this.statements.set(sql, statement);
      statement.catch(() => this.statements.delete(sql));
    }
    return statement;
  }
}

export function isBusy(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'SQLITE_BUSY';
}

/** BEGIN on the application's connection while its own TypeORM transaction is open there. */
function isInTransaction(error: unknown): boolean {
  return /cannot start a transaction within a transaction/.test(String((error as Error | null)?.message));
}

function closedError(): Promise<never> {
  return Promise.reject(new Error('The sqlite3 connection of nestjs-tasks is closed.'));
}

function exec(db: Database, sql: string): Promise<void> {
  return new Promise((resolve, reject) => db.exec(sql, (error) => (error ? reject(error) : resolve())));
}

/** `all` steps the statement to its end and resets it; the driver's `get` would leave it open, holding a read snapshot. */
function allRows<R>(statement: Statement, params: SqliteParams = []): Promise<R[]> {
  return new Promise((resolve, reject) => statement.all<R>(params, (error, rows) => (error ? reject(error) : resolve(rows))));
}

function runChanges(statement: Statement, params: SqliteParams = []): Promise<{ changes: number }> {
  return new Promise((resolve, reject) =>
    statement.run(params, function (this: { changes: number }, error: Error | null) {
      if (error) reject(error);
      else resolve({ changes: this.changes });
    }),
  );
}
