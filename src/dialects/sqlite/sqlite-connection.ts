/**
 * The page cache of a connection the library opens itself: SQLite's own default of 2 MB, not the
 * 16 MB better-sqlite3 is built with. The file's pages stay in the operating system's cache,
 * shared by every process; a private cache that fills as a worker reads the table only added its
 * size to each worker's memory (bench/README.md, "Memory of a worker").
 */
export const OWN_CONNECTION_CACHE = 'cache_size = -2000';

/** Positional parameters (`?`): the one binding style both SQLite drivers share. */
export type SqliteParams = readonly unknown[];

/** Statements run on one connection. SQL texts are constants: implementations prepare each once. */
export interface SqliteStatementRunner {
  all<R = Record<string, unknown>>(sql: string, params?: SqliteParams): Promise<R[]>;
  get<R = Record<string, unknown>>(sql: string, params?: SqliteParams): Promise<R | undefined>;
  run(sql: string, params?: SqliteParams): Promise<{ changes: number }>;
}

/** The statements of one transaction (`immediate`). */
export interface SqliteTransaction extends SqliteStatementRunner {
  /**
   * Runs `sql` once per parameter list, in order, and returns the rows each run changed: a batch
   * of rows through one statement in one call, where a call per row costs a promise and an await.
   */
  runEach(sql: string, paramLists: readonly SqliteParams[]): Promise<number[]>;
}

/**
 * The port the SQLite dialect runs on: one connection to the application's database file, the
 * dialect's own, so its transactions never mix with the application's TypeORM transactions.
 * The statements are written once (`sqlite.statements.ts`) and run over any driver that
 * implements this: better-sqlite3 (synchronous) or sqlite3 (asynchronous).
 *
 * Contract for implementations:
 * - `immediate` runs `work` inside `BEGIN IMMEDIATE … COMMIT` (ROLLBACK if it throws), so a
 *   write takes the lock up front and never fails with SQLITE_BUSY halfway through.
 * - While another connection holds the lock, `immediate` waits asynchronously (never a
 *   synchronous sleep: the waiting application transaction may live in this very process),
 *   up to a busy timeout of about 10 s, then rejects with the driver's SQLITE_BUSY error.
 * - Calls are serialised on the connection: a second `immediate`, or a read, waits until the
 *   transaction in progress has committed; statements of one `work` run in the order issued.
 * - Reads outside `immediate` see committed data only.
 */
export interface SqliteConnection extends SqliteStatementRunner {
  immediate<T>(work: (tx: SqliteTransaction) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
