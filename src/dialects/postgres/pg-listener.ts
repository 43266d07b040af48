import { Logger } from '@nestjs/common';
import type { Client, ClientConfig, Notification, Pool } from 'pg';
import { ENQUEUED_CHANNEL, FINISHED_CHANNEL, WANTED_CHANNEL } from './pg-channels';
import { pgConnectionConfig } from './postgres-connections';

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;
/** Catches a connection that died silently (no FIN from a vanished host or NAT). */
const HEALTH_CHECK_MS = 30_000;

/**
 * One dedicated connection that LISTENs on the enqueue and interest channels, on the finish
 * channel only while `listenFinished(true)` (this process has waiters), and reconnects by itself,
 * with exponential backoff and jitter. Notifications sent while it is down are lost; the worker's
 * polling and `wait()`'s polling cover that gap.
 */
export class PgNotificationListener {
  private readonly logger = new Logger('TasksModule');
  private client?: Client;
  private stopped = false;
  private failures = 0;
  private reconnectTimer?: NodeJS.Timeout;
  private healthTimer?: NodeJS.Timeout;
  private finishedWanted = false;
  /** What the current connection LISTENs to on the finish channel. */
  private listeningFinished = false;

  constructor(
    private readonly pool: Pool,
    private readonly onNotification: (notification: Notification) => void,
  ) {}

  /** Resolves once listening, or after the first failure (retrying in the background). */
  async start(): Promise<void> {
    await this.connect();
  }

  /** Starts or stops the finish channel; one LISTEN or UNLISTEN, queued on the connection behind any other. */
  listenFinished(on: boolean): void {
    this.finishedWanted = on;
    this.syncFinished();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.healthTimer);
    const client = this.client;
    this.client = undefined;
    if (client) await client.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const { Client: PgClient } = this.pool as unknown as { Client: new (config: ClientConfig) => Client };
    const client = new PgClient(pgConnectionConfig(this.pool));
    // 'error' and 'end' both fire for one failure; each client schedules at most one reconnect.
    let dead = false;
    const lost = (error?: Error) => {
      if (dead) return;
      dead = true;
      this.lost(client, error);
    };
    client.on('notification', this.onNotification);
    client.on('error', lost);
    client.on('end', () => lost());
    try {
      await client.connect();
      await client.query(`LISTEN ${ENQUEUED_CHANNEL}; LISTEN ${WANTED_CHANNEL}`);
    } catch (error) {
      lost(error as Error);
      return;
    }
    if (this.stopped) {
      dead = true;
      await client.end().catch(() => undefined);
      return;
    }
    if (this.failures > 0) this.logger.log('Listening for task notifications again.');
    this.failures = 0;
    this.client = client;
    this.listeningFinished = false;
    this.syncFinished();
    this.healthTimer = setInterval(() => {
      client.query('SELECT 1').catch((error) => lost(error));
    }, HEALTH_CHECK_MS);
    this.healthTimer.unref();
  }

  private syncFinished(): void {
    const client = this.client;
    if (!client || this.listeningFinished === this.finishedWanted) return;
    this.listeningFinished = this.finishedWanted;
    // A failure here is the connection's: its 'error' or 'end' reconnects, and the new one syncs.
    client.query(`${this.finishedWanted ? 'LISTEN' : 'UNLISTEN'} ${FINISHED_CHANNEL}`).catch(() => undefined);
  }

  private lost(client: Client, error?: Error): void {
    if (this.client === client) {
      this.client = undefined;
      clearInterval(this.healthTimer);
    }
    client.removeAllListeners('notification');
    client.end().catch(() => undefined);
    if (this.stopped) return;
    this.failures++;
    const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** (this.failures - 1)) * (0.5 + Math.random() / 2);
    this.logger.warn(`Lost the connection listening for task notifications${error ? ` (${error.message})` : ''}; ` +
      `reconnecting in ${Math.round(delay)} ms. Workers poll meanwhile.`);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, delay);
  }
}
