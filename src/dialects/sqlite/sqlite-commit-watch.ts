import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

/**
 * The fewest milliseconds between two reports: an application committing other tables
 * continuously would otherwise have an idle worker claim after every one of its commits.
 */
export const COMMIT_WATCH_MIN_MS = 2;

/**
 * Reports commits to a SQLite file by any process, as they happen. SQLite has no notifications,
 * but the processes that share a file share one machine, and every commit writes the WAL (or,
 * without WAL, the database file), which the kernel reports to a file watch. A transaction that
 * changes nothing writes nothing, so an idle worker's empty claims never wake another.
 *
 * The directory is watched rather than the files: the WAL file comes and goes. Reports are
 * spaced `COMMIT_WATCH_MIN_MS` apart, always with one after the last write, so the write that
 * completes a commit is reported even when those before it were not. Returns the stop function,
 * or null where the platform cannot watch (the worker's poll still finds every task).
 */
export function watchCommits(file: string, onCommit: () => void): (() => void) | null {
  const path = resolve(file);
  const names = new Set([basename(path), `${basename(path)}-wal`]);
  let last = 0;
  let timer: NodeJS.Timeout | undefined;
  const report = () => {
    timer = undefined;
    last = Date.now();
    onCommit();
  };
  let watcher: FSWatcher;
  try {
    watcher = watch(dirname(path), { persistent: false }, (_event, name) => {
      if (name !== null && !names.has(String(name))) return;
      if (timer) return;
      const wait = last + COMMIT_WATCH_MIN_MS - Date.now();
      if (wait <= 0) report();
      else timer = setTimeout(report, wait);
    });
  } catch {
    return null;
  }
  // A watch that fails later (the directory removed) ends quietly, as one that never started.
  watcher.on('error', () => watcher.close());
  return () => {
    clearTimeout(timer);
    watcher.close();
  };
}
