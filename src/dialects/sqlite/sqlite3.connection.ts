import type { Database, Statement } from 'sqlite3';
import { FifoLock } from './fifo.lock';

/** The `sqlite3` module as TypeORM 0.3 has loaded it (`driver.sqlite`). */
export interface Sqlite3Module {
  Database: {
    new (file: string, callback: (error: Error | null) => void): Database;
    new (file: string, mode: number, callback: (error: Error | null) => void): Database;
  };
}

/** Positional values, or named ones keyed with their prefix as the SQL writes them (`{ '@now': … }`). */
export type Sqlite3Params = readonly unknown[] | Readonly<Record<string, unknown>>;

/** The statements of one section; valid only until the section's promise settles. */
export interface Sqlite3Session {
  /** Every row (also of `… RETURNING`). */
  all<T = Record<string, unknown>>(sql: string, params?: Sqlite3Params): Promise<T[]>;
  /** Resolves with the number of rows changed. */
  run(sql: string, params?: Sqlite3Params): Promise<number>;
}

export interface Sqlite3ConnectionOptions {
  /** How long one write may keep finding the database locked by another connection before it fails with SQLITE_BUSY. */
  busyTimeoutMs?: number;
}

export interface Sqlite3OpenOptions extends Sqlite3ConnectionOptions {
  /** `sqlite3.OPEN_*` flags, as the application's DataSource was given them. */
  flags?: number;
  /** SQLCipher key, as the application's DataSource was given it. */
  key?: string;
}

const DEFAULT_BUSY_TIMEOUT_MS = 10_000;
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
 * One connection of the asynchronous `sqlite3` driver, shared by every statement of the dialect.
 *
 * The driver runs each statement on a libuv thread and keeps no order between statements that
 * are in flight together, so a transaction spread over several awaits would take in any
 * statement issued meanwhile. Sections therefore take turns (`FifoLock`): writes among
 * themselves for the whole of their retries, and every section for each try on the connection.
 * Writes begin with `BEGIN IMMEDIATE`, so they take the write lock before reading anything: a
 * deferred transaction that read first could never get it once another connection committed
 * (SQLITE_BUSY_SNAPSHOT in WAL mode), whatever the busy timeout.
 */
export class Sqlite3Connection {
  private readonly connectionTurn = new FifoLock();
  private readonly writeTurn = new FifoLock();
  private readonly statements = new Map<string, Promise<Statement>>();
  private readonly session: Sqlite3Session;
  private readonly busyTimeoutMs: number;
  private closed = false;

  private constructor(
    private readonly db: Database,
    private readonly ownsDatabase: boolean,
    options: Sqlite3ConnectionOptions,
  ) {
    this.busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    this.session = {
      all: (sql, params) => this.statement(sql).then((statement) => allRows(statement, params)),
      run: (sql, params) => this.statement(sql).then((statement) => runChanges(statement, params)),
    };
  }

  /** Opens a connection of its own to `file`, in WAL mode, so readers and the writer do not block each other. */
  static async open(sqlite: Sqlite3Module, file: string, options: Sqlite3OpenOptions = {}): Promise<Sqlite3Connection> {
    const db = await new Promise<Database>((resolve, reject) => {
      const done = (error: Error | null) => (error ? reject(error) : resolve(opened));
      // The driver takes the callback as the second argument unless a mode (a number) is there.
      const opened: Database = options.flags === undefined ? new sqlite.Database(file, done) : new sqlite.Database(file, options.flags, done);
    });
    const connection = new Sqlite3Connection(db, true, options);
    try {
      if (options.key !== undefined) await exec(db, `PRAGMA key = ${JSON.stringify(options.key)}`);
      await exec(db, `PRAGMA busy_timeout = ${IN_SQLITE_BUSY_WAIT_MS}`);
      // Switching to WAL needs a moment alone with the file: other processes may be writing.
      await connection.retryWhileBusy(() => exec(db, 'PRAGMA journal_mode = WAL'));
      await exec(db, 'PRAGMA synchronous = NORMAL');
    } catch (error) {
      await new Promise<void>((resolve) => db.close(() => resolve()));
      throw error;
    }
    return connection;
  }

  /** Runs `work` on the connection between other sections; for statements that only read. */
  read<T>(work: (session: Sqlite3Session) => Promise<T>): Promise<T> {
    if (this.closed) return closedError();
    return this.retryWhileBusy(() => this.connectionTurn.run(() => work(this.session)));
  }

  /**
   * Runs `work` in a `BEGIN IMMEDIATE` transaction and commits it. While another connection
   * holds the write lock, it tries again asynchronously until `busyTimeoutMs`, so the event loop
   * (and the application's own transaction, which may be what holds the lock) keeps running.
   * `work` may run more than once: it must do nothing but its statements.
   */
  write<T>(work: (session: Sqlite3Session) => Promise<T>): Promise<T> {
    if (this.closed) return closedError();
    return this.writeTurn.run(() => this.retryWhileBusy(() => this.connectionTurn.run(() => this.transaction(work))));
  }

  /** Waits for the sections already asked for, then releases the statements (and the connection, if it is its own). */
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
        if (this.ownsDatabase) await new Promise<void>((resolve, reject) => this.db.close((error) => (error ? reject(error) : resolve())));
      }),
    );
  }

  private async transaction<T>(work: (session: Sqlite3Session) => Promise<T>): Promise<T> {
    await exec(this.db, 'BEGIN IMMEDIATE');
    try {
      const result = await work(this.session);
      await exec(this.db, 'COMMIT');
      return result;
    } catch (error) {
      // A failed COMMIT (SQLITE_BUSY while readers finish, in rollback-journal mode) leaves the
      // transaction open; some errors have already rolled it back. Either way none stays open.
      await exec(this.db, 'ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  private async retryWhileBusy<T>(attempt: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.busyTimeoutMs;
    for (let retry = 1; ; retry++) {
      try {
        return await attempt();
      } catch (error) {
        if (!isBusy(error) || Date.now() >= deadline) throw error;
        // Jittered, so that processes waiting for the same lock do not keep colliding.
        const pause = Math.min(MAX_RETRY_PAUSE_MS, retry * 5) * (0.5 + Math.random() / 2);
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
  }

  /** Prepared once per SQL text and kept: the hot statements are a handful of fixed texts. */
  private statement(sql: string): Promise<Statement> {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = new Promise<Statement>((resolve, reject) => {
        const prepared: Statement = this.db.prepare(sql, (error: Error | null) => (error ? reject(error) : resolve(prepared)));
      });
      this.statements.set(sql, statement);
      statement.catch(() => this.statements.delete(sql));
    }
    return statement;
  }
}

export function isBusy(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'SQLITE_BUSY';
}

function closedError(): Promise<never> {
  return Promise.reject(new Error('The sqlite3 connection of nestjs-tasks is closed.'));
}

function exec(db: Database, sql: string): Promise<void> {
  return new Promise((resolve, reject) => db.exec(sql, (error) => (error ? reject(error) : resolve())));
}

/** `all` steps the statement to its end and resets it; `get` would leave it open, holding a read snapshot. */
function allRows<T>(statement: Statement, params: Sqlite3Params | undefined): Promise<T[]> {
  return new Promise((resolve, reject) => statement.all<T>(params ?? [], (error, rows) => (error ? reject(error) : resolve(rows))));
}

function runChanges(statement: Statement, params: Sqlite3Params | undefined): Promise<number> {
  return new Promise((resolve, reject) =>
    statement.run(params ?? [], function (this: { changes: number }, error: Error | null) {
      if (error) reject(error);
      else resolve(this.changes);
    }),
  );
}
