import { randomUUID } from 'node:crypto';

/** How often a process that waits says so again. */
export const INTEREST_REPEAT_MS = 10_000;
/** How long a process sends finish notifications after it last heard that another waits. */
export const INTEREST_KEEP_MS = 30_000;

/**
 * Which processes want finish notifications (FINISHED_CHANNEL), so that a finish costs no NOTIFY
 * while none waits. PostgreSQL signals every backend that LISTENs in the database, on whatever
 * channel, for every NOTIFY: each worker's listener included, so a finish announced to nobody
 * still cost every worker's backend a wake-up (workers ran 15-30 % faster without them).
 *
 * A process with waiters (`wait()` of a result some other process may run) announces its
 * interest on WANTED_CHANNEL when its first waiter starts and every INTEREST_REPEAT_MS while any
 * waits, and LISTENs on FINISHED_CHANNEL only meanwhile. Every process sends finish notifications
 * within INTEREST_KEEP_MS of the last interest it heard from another. It ignores its own: the
 * finishes, cancellations and rescues it writes reach its own waiters through TaskEvents. The
 * timers are this process's own (a monotonic clock): no time is compared between processes.
 *
 * Missing a notification is safe: a waiter's first wait after a quiet period starts before its
 * interest reaches the other processes, and a task that finishes in that gap is not announced;
 * but `wait()` subscribes before it re-reads the row and polls between reads, so it learns of
 * such a finish at its next read, no later than without notifications.
 */
export class FinishInterest {
  /** This process's (this dialect's) announcements carry it, to be told apart from others'. */
  readonly id = randomUUID();
  private waiters = 0;
  private waitedSinceRepeat = false;
  private repeat?: NodeJS.Timeout;
  private lastHeardAt = -Infinity;

  /**
   * @param announce sends this process's interest (the id) to the others.
   * @param listening LISTENs on the finish channel (true) or stops (false).
   */
  constructor(
    private readonly announce: (id: string) => void,
    private readonly listening: (on: boolean) => void,
  ) {}

  /** A waiter of this process starts; returns its end. */
  waiting(): () => void {
    this.waiters++;
    this.waitedSinceRepeat = true;
    if (!this.repeat) {
      this.listening(true);
      this.announce(this.id);
      this.repeat = setInterval(() => this.tick(), INTEREST_REPEAT_MS);
      this.repeat.unref();
    }
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.waiters--;
    };
  }

  /** True between a first waiter and the end of the interest (a repeat with no waiter since the last). */
  isWaiting(): boolean {
    return this.repeat !== undefined;
  }

  /** An interest heard on WANTED_CHANNEL, this process's own included. */
  heard(id: string): void {
    if (id !== this.id) this.lastHeardAt = performance.now();
  }

  /** True while another process may wait for finishes. */
  othersWait(): boolean {
    return performance.now() - this.lastHeardAt < INTEREST_KEEP_MS;
  }

  stop(): void {
    clearInterval(this.repeat);
    this.repeat = undefined;
  }

  /** wait() waits in short steps with reads between: a waiter seen since the last tick still waits. */
  private tick(): void {
    if (this.waiters > 0 || this.waitedSinceRepeat) {
      this.waitedSinceRepeat = false;
      this.announce(this.id);
      return;
    }
    this.stop();
    this.listening(false);
  }
}
