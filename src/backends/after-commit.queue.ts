import type { QueryRunner } from 'typeorm';

interface Deferred {
  /** The transaction depth it was deferred at: a savepoint rolled back drops what it deferred. */
  depth: number;
  run: () => void;
}

/**
 * Work to do once the caller's transaction has committed, never if it rolls back. TypeORM
 * announces commits and rollbacks of savepoints (nested transactions) like those of the whole
 * transaction, so each piece of work remembers its depth: it runs only at the outermost commit,
 * and is dropped with the savepoint it was deferred in.
 */
export class AfterCommitQueue {
  private readonly pending = new WeakMap<QueryRunner, Deferred[]>();

  defer(runner: QueryRunner, run: () => void): void {
    const deferred = this.pending.get(runner);
    const entry = { depth: depthOf(runner), run };
    if (deferred) deferred.push(entry);
    else this.pending.set(runner, [entry]);
  }

  committed(runner: QueryRunner): void {
    const deferred = this.pending.get(runner);
    if (!deferred) return;
    if (runner.isTransactionActive) {
      // A savepoint was released: what it deferred now belongs to the enclosing level.
      const depth = depthOf(runner);
      deferred.forEach((entry) => (entry.depth = Math.min(entry.depth, depth)));
      return;
    }
    this.pending.delete(runner);
    deferred.forEach((entry) => entry.run());
  }

  rolledBack(runner: QueryRunner): void {
    const deferred = this.pending.get(runner);
    if (!deferred) return;
    if (!runner.isTransactionActive) {
      this.pending.delete(runner);
      return;
    }
    const depth = depthOf(runner);
    this.pending.set(runner, deferred.filter((entry) => entry.depth <= depth));
  }
}

/** TypeORM keeps the nesting depth in a protected field; without it, one level is assumed. */
function depthOf(runner: QueryRunner): number {
  const depth = (runner as unknown as { transactionDepth?: unknown }).transactionDepth;
  return typeof depth === 'number' ? depth : 1;
}
