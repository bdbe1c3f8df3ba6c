import type { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { DELIVERY_CHANNEL } from '../outbox';

/**
 * LISTEN rx_delivery on PostgreSQL: a notice committed on any replica wakes this replica's push
 * worker at once (the periodic scan remains for retries and for the embedded database).
 *
 * INTEGRATION: the pull branch builds the shared LISTEN/NOTIFY listener for pollers and
 * subscribers; at merge the worker subscribes to it and this file goes.
 */
export class PushWaker {
  private client: Client | null = null;
  private stopped = false;
  private retry: NodeJS.Timeout | null = null;
  /** Clients already given up on (a failing client reports both 'error' and 'end'). */
  private readonly dead = new WeakSet<Client>();

  constructor(
    private readonly databaseUrl: string,
    private readonly onNotice: () => void,
    private readonly logger: Logger,
  ) {}

  start(): void {
    void this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({ connectionString: this.databaseUrl });
    client.on('notification', () => this.onNotice());
    client.on('error', (e) => this.reconnect(client, e));
    client.on('end', () => this.reconnect(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${DELIVERY_CHANNEL}`);
      if (this.stopped) return void client.end().catch(() => undefined);
      this.client = client;
      this.onNotice(); // notices committed while not listening
    } catch (e) {
      this.reconnect(client, e as Error);
    }
  }

  private reconnect(client: Client, e?: Error): void {
    if (this.stopped || this.dead.has(client)) return;
    this.dead.add(client);
    if (this.client === client) this.client = null;
    client.end().catch(() => undefined);
    if (e) this.logger.warn(`LISTEN ${DELIVERY_CHANNEL} lost (${e.message}); the periodic scan goes on, listening again in 1 s`);
    this.retry = setTimeout(() => {
      this.retry = null;
      void this.connect();
    }, 1000);
    this.retry.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    const c = this.client;
    this.client = null;
    await c?.end().catch(() => undefined);
  }
}
