import { Logger } from '@nestjs/common';
import type { Pool } from 'pg';
import { FINISHED_CHANNEL } from './pg-channels';

/** NOTIFY payloads stop at 8000 bytes; 150 ids of 37 bytes stay well under. */
const IDS_PER_NOTIFICATION = 150;

/**
 * Sends NOTIFYs once the writes they announce have committed, in a statement of their own,
 * and coalesces them: while one is in flight, the next ones gather and go together after it.
 * A NOTIFY inside the writing transaction would serialise every such commit: PostgreSQL holds
 * a database-wide lock from queueing the notification until after the commit's WAL flush
 * (measured here: concurrent single-row enqueues 3-4x slower). Notifications are best effort;
 * polling covers a lost one.
 */
export class PgNotifier {
  private readonly logger = new Logger('TasksModule');
  private readonly pending = new Map<string, Set<string>>();
  private inFlight?: Promise<void>;
  private failing = false;

  constructor(private readonly pool: Pool) {}

  send(channel: string, item: string): void {
    let items = this.pending.get(channel);
    if (!items) this.pending.set(channel, (items = new Set()));
    items.add(item);
    this.inFlight ??= this.drain();
  }

  /** Resolves once everything sent so far has gone out (or failed). */
  async flush(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  private async drain(): Promise<void> {
    // Sends of one turn go in one statement (a finish announces its row and the dependents it released).
    await Promise.resolve();
    while (this.pending.size > 0) {
      const channels: string[] = [];
      const payloads: string[] = [];
      for (const [channel, items] of this.pending) {
        const list = [...items];
        if (channel === FINISHED_CHANNEL) {
          for (let start = 0; start < list.length; start += IDS_PER_NOTIFICATION) {
            channels.push(channel);
            payloads.push(list.slice(start, start + IDS_PER_NOTIFICATION).join(','));
          }
        } else {
          list.forEach((item) => (channels.push(channel), payloads.push(item)));
        }
      }
      this.pending.clear();
      try {
        await this.pool.query({
          name: 'nestjs_tasks_notify',
          text: 'SELECT pg_notify(channel, payload) FROM unnest($1::text[], $2::text[]) AS n(channel, payload)',
          values: [channels, payloads],
        });
        this.failing = false;
      } catch (error) {
        if (!this.failing) this.logger.warn(`Could not send task notifications (workers poll instead): ${(error as Error).message}`);
        this.failing = true;
      }
    }
    this.inFlight = undefined;
  }
}
