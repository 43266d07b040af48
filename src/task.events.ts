import { Injectable } from '@nestjs/common';
import { EventEmitter } from 'node:events';

/**
 * In-process signals between the service, the worker and waiting results of one application:
 * a new task (wake an idle worker now rather than at its next poll), a changed task (wake
 * `wait()`), a cancellation (abort a running task now rather than at its next lease renewal).
 */
@Injectable()
export class TaskEvents {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  /**
   * `waitForChange` calls in progress. The worker reports every task it finishes; with nobody
   * waiting, the event name built for each (and hashed by the emitter to find no listener)
   * cost about 3 % of a no-op task's run.
   */
  private waiting = 0;

  /** A task of `queueName` may be due; null: of some queue, unknown which. */
  enqueued(queueName: string | null): void {
    this.emitter.emit('enqueued', queueName);
  }

  /** Task `id` changed; null: some tasks changed, unknown which (every waiter looks again). */
  changed(id: string | null): void {
    if (this.waiting === 0) return;
    this.emitter.emit(id === null ? 'changed' : `changed:${id}`);
  }

  cancelRequested(id: string): void {
    this.emitter.emit('cancel', id);
  }

  onEnqueued(listener: (queueName: string | null) => void): () => void {
    return this.subscribe('enqueued', listener);
  }

  onCancelRequested(listener: (id: string) => void): () => void {
    return this.subscribe('cancel', listener);
  }

  /** Resolves after `ms`, at once when task `id` (or some unknown task) changes from now on, or when `signal` aborts. */
  waitForChange(id: string, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      this.waiting++;
      let settled = false;
      const done = () => {
        if (settled) return;
        settled = true;
        this.waiting--;
        clearTimeout(timer);
        this.emitter.off(`changed:${id}`, done);
        this.emitter.off('changed', done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.emitter.once(`changed:${id}`, done);
      this.emitter.once('changed', done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  private subscribe(event: string, listener: (...args: any[]) => void): () => void {
    this.emitter.on(event, listener);
    return () => this.emitter.off(event, listener);
  }
}
