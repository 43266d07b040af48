import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sqlite3 from 'sqlite3';
import { isBusy, Sqlite3Connection } from '../../src/dialects/sqlite/sqlite3.connection';
import { incrementCounter } from '../fixtures/sqlite3-counter';

const ROOT = join(__dirname, '..', '..');

/** A plain connection of the driver, standing for another process on the same file. */
class Other {
  private constructor(readonly db: sqlite3.Database) {}

  static open(file: string): Promise<Other> {
    return new Promise((resolve, reject) => {
      const db = new sqlite3.Database(file, (error) => (error ? reject(error) : resolve(new Other(db))));
    });
  }

  exec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => this.db.exec(sql, (error) => (error ? reject(error) : resolve())));
  }

  all<T>(sql: string): Promise<T[]> {
    return new Promise((resolve, reject) => this.db.all<T>(sql, (error, rows) => (error ? reject(error) : resolve(rows))));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.db.close(() => resolve()));
  }
}

function settled(promise: Promise<unknown>): () => boolean {
  let done = false;
  promise.then(() => (done = true), () => (done = true));
  return () => done;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Sqlite3Connection', () => {
  let dir: string;
  let file: string;
  let other: Other;
  let connection: Sqlite3Connection;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nestjs-tasks-sqlite3-'));
    file = join(dir, 'tasks.sqlite');
    other = await Other.open(file);
    await other.exec('CREATE TABLE items (name TEXT NOT NULL); CREATE TABLE counter (n INTEGER NOT NULL); INSERT INTO counter VALUES (0)');
    connection = Sqlite3Connection.open(sqlite3, file);
    // Opening switches the file to WAL, which needs a moment without other writers.
    await connection.get('SELECT 1 AS opened');
  });
  afterEach(async () => {
    await connection.close();
    await other.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const names = () => connection.all<{ name: string }>('SELECT name FROM items ORDER BY name').then((rows) => rows.map((row) => row.name));

  it('puts the file in WAL mode, with a page cache of 2 MB', async () => {
    const fresh = await Other.open(file);
    try {
      expect(await fresh.all('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
      // SQLite's own default page cache, whatever the driver was built with (a setting of the connection).
      expect(await connection.get('PRAGMA cache_size')).toEqual({ cache_size: -2000 });
    } finally {
      await fresh.close();
    }
  });

  it('never lets two writes of one connection interleave: a rolled-back write takes nothing of the other with it', async () => {
    const failing = connection.immediate(async (tx) => {
      await tx.run('INSERT INTO items VALUES (?)', ['rolled back']);
      await pause(50);
      throw new Error('task failed');
    });
    const committed = connection.immediate((tx) => tx.run('INSERT INTO items VALUES (?)', ['kept']));
    await expect(failing).rejects.toThrow('task failed');
    await expect(committed).resolves.toEqual({ changes: 1 });
    expect(await names()).toEqual(['kept']);
  });

  it('does not let a read see a write that is still in progress', async () => {
    let release!: () => void;
    const writing = connection.immediate(async (tx) => {
      await tx.run('INSERT INTO items VALUES (?)', ['uncommitted']);
      await new Promise<void>((resolve) => (release = resolve));
      throw new Error('rolled back');
    });
    await pause(20);
    const read = names();
    // Long enough for the read to run, had it not waited for the write to end.
    await pause(50);
    release();
    await expect(writing).rejects.toThrow('rolled back');
    expect(await read).toEqual([]);
  });

  it('waits for another connection’s write lock without stalling the event loop, and lets reads through meanwhile', async () => {
    await other.exec("BEGIN IMMEDIATE; INSERT INTO items VALUES ('other')");
    const write = connection.immediate((tx) => tx.run('INSERT INTO items VALUES (?)', ['mine']));
    const written = settled(write);
    // Longer than SQLite's own busy wait: the write is retried from JavaScript.
    await pause(300);
    expect(written()).toBe(false);
    // The read runs between two tries of the write, on the same connection.
    expect(await names()).toEqual([]);
    expect(written()).toBe(false);
    await other.exec('COMMIT');
    await expect(write).resolves.toEqual({ changes: 1 });
    expect(await names()).toEqual(['mine', 'other']);
  });

  it('fails with SQLITE_BUSY once busyTimeoutMs has passed, leaving no transaction open', async () => {
    const impatient = Sqlite3Connection.open(sqlite3, file, { busyTimeoutMs: 200 });
    try {
      await impatient.get('SELECT 1 AS opened');
      await other.exec('BEGIN IMMEDIATE');
      const error = await impatient.immediate((tx) => tx.run('INSERT INTO items VALUES (?)', ['late'])).catch((e: unknown) => e);
      expect(isBusy(error)).toBe(true);
      await other.exec('ROLLBACK');
      await impatient.immediate((tx) => tx.run('INSERT INTO items VALUES (?)', ['after']));
      // Had the failed write left its transaction open, the other connection could not write now.
      await other.exec("INSERT INTO items VALUES ('other')");
      expect(await names()).toEqual(['after', 'other']);
    } finally {
      await impatient.close();
    }
  });

  it('rolls back and rethrows when the work fails, and the connection goes on', async () => {
    await expect(connection.immediate(async (tx) => {
      await tx.run('INSERT INTO items VALUES (?)', ['half']);
      await tx.run('INSERT INTO items VALUES (?)', [null]);
    })).rejects.toThrow(/NOT NULL/);
    await connection.immediate((tx) => tx.run('INSERT INTO items VALUES (?)', ['whole']));
    expect(await names()).toEqual(['whole']);
  });

  it('returns the rows of UPDATE … RETURNING and the changes of a run', async () => {
    await connection.immediate((tx) => tx.run('INSERT INTO items VALUES (?), (?)', ['a', 'b']));
    const rows = await connection.immediate((tx) => tx.all("UPDATE items SET name = name || '!' RETURNING name"));
    expect(rows.map((row) => row.name).sort()).toEqual(['a!', 'b!']);
    expect(await connection.run("DELETE FROM items WHERE name = 'a!'")).toEqual({ changes: 1 });
    expect(await connection.get('SELECT count(*) AS n FROM items')).toEqual({ n: 1 });
  });

  it('leaves no read snapshot open after a cached statement, so the WAL can be checkpointed to the end', async () => {
    await connection.immediate((tx) => tx.run('INSERT INTO items VALUES (?)', ['a']));
    for (let i = 0; i < 3; i++) expect(await names()).toEqual(['a']);
    // The other connection reads once to see that the file is in WAL mode now.
    expect(await other.all('SELECT count(*) AS n FROM items')).toEqual([{ n: 1 }]);
    expect(await other.all('PRAGMA wal_checkpoint(TRUNCATE)')).toEqual([{ busy: 0, log: 0, checkpointed: 0 }]);
  });

  it('loses no update when writes of several connections and processes read and write back the same row', async () => {
    const second = Sqlite3Connection.open(sqlite3, file);
    const children = [1, 2].map(() => new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, ['-r', join(ROOT, 'test/support/register-ts.js'), join(ROOT, 'test/fixtures/sqlite3-counter.ts'), file, '40'], {
        cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'],
      });
      child.on('exit', resolve);
    }));
    try {
      await Promise.all([incrementCounter(connection, 40), incrementCounter(second, 40)]);
      expect(await Promise.all(children)).toEqual([0, 0]);
    } finally {
      await second.close();
    }
    expect(await connection.all('SELECT n FROM counter')).toEqual([{ n: 160 }]);
  });

  it('finishes the sections already asked for when closed, and refuses later ones', async () => {
    const pending = connection.immediate(async (tx) => {
      await pause(20);
      return tx.run('INSERT INTO items VALUES (?)', ['before close']);
    });
    await connection.close();
    await expect(pending).resolves.toEqual({ changes: 1 });
    await expect(connection.all('SELECT 1')).rejects.toThrow('closed');
    expect(await other.all('SELECT name FROM items')).toEqual([{ name: 'before close' }]);
  });
});
