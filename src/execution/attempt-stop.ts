/**
 * Stops one attempt: its timeout, a cancellation, a lost lease or a shutdown. The `AbortSignal`
 * the task sees is made only when it asks for one (most never do): an AbortController and an
 * abort listener per attempt cost about a twentieth of a no-op task's whole run.
 */
export class AttemptStop {
  private controller?: AbortController;
  private stopped = false;
  private why: unknown;
  private rejectRace?: (reason: unknown) => void;

  get aborted(): boolean {
    return this.stopped;
  }

  get reason(): unknown {
    return this.why;
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.stopped) this.controller.abort(this.why);
    }
    return this.controller.signal;
  }

  /** The first reason wins; later calls do nothing. */
  abort(reason: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.why = reason;
    this.controller?.abort(reason);
    this.rejectRace?.(reason);
  }

  /** Settles as `work` does, or rejects with the reason as soon as the attempt is stopped. */
  race<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      work.then(resolve, reject);
      if (this.stopped) reject(this.why);
      else this.rejectRace = reject;
    });
  }
}
