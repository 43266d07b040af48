/**
 * Stops one attempt: its timeout, a cancellation, a lost lease or a shutdown. The `AbortSignal`
 * the task sees is made only when it asks for one (most never do): an AbortController and an
 * abort listener per attempt cost about a twentieth of a no-op task's whole run.
 */
export class AttemptStop {
  private controller?: AbortController;
  private stopped = false;
  private why: unknown;
  private onStop?: (reason: unknown) => void;

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
    this.onStop?.(reason);
  }

  /** Settles as `work` does, or rejects with the reason as soon as the attempt is stopped. */
  race<T>(work: Promise<T>): Promise<T> {
    return this.settle(work, (value) => value as T, (reason) => Promise.reject(reason));
  }

  /**
   * Resolves with `onValue` of what `work` resolves to, or with `onError` of why it rejected or,
   * as soon as the attempt is stopped, of the stop's reason: whichever comes first, once. One
   * promise for the whole attempt: with async hooks on (AsyncLocalStorage), every promise and
   * every await of the plain path is paid again in hook calls and memory.
   */
  settle<T>(work: Promise<unknown>, onValue: (value: unknown) => T | Promise<T>, onError: (reason: unknown) => T | Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const settle = (ok: boolean, outcome: unknown) => {
        if (settled) return;
        settled = true;
        this.onStop = undefined;
        try {
          resolve(ok ? onValue(outcome) : onError(outcome));
        } catch (error) {
          reject(error);
        }
      };
      work.then((value) => settle(true, value), (reason) => settle(false, reason));
      if (this.stopped) settle(false, this.why);
      else this.onStop = (reason) => settle(false, reason);
    });
  }
}
