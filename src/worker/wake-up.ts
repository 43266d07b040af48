/**
 * How the worker loop sleeps, and what wakes it early: a task enqueued in this process or
 * announced by the database (LISTEN/NOTIFY), a free slot, a written outcome, a stop. A wake-up
 * that comes while the loop is busy is kept for its next sleep, so none is lost.
 */
export class WakeUp {
  private wakeUp?: () => void;
  private pending = false;
  /** The sleeper a deferred wake-up is about to resume, until it resumes. */
  private resuming?: () => void;

  /** Sleeps until woken or `ms` pass (forever when undefined). */
  sleep(ms?: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.wakeUp === done) this.wakeUp = undefined;
        if (this.resuming === done) this.resuming = undefined;
        resolve();
      };
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  wake(): void {
    // Wake-ups that come before the sleeper resumes are answered by what it does then: kept as
    // pending as well, each would cost a claim that finds nothing (a chain's finished step and
    // the release of the next one are written in one commit, and both wake the loop).
    if (this.resuming) return;
    const wakeUp = this.wakeUp;
    if (!wakeUp) {
      this.pending = true;
      return;
    }
    this.wakeUp = undefined;
    this.resuming = wakeUp;
    // Deferred a tick: attempts that finish together free their slots together, so the next
    // claim takes them all in one round trip instead of one claim per finished task.
    setImmediate(wakeUp);
  }
}
