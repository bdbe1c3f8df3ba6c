import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/config';
import { databaseKind } from './data-source';

const PROBE_EVERY_MS = 2000;
const PROBE_TIMEOUT_MS = 2000;

/**
 * Whether the database answers, known without waiting for it: a probe runs every 2 s (and at
 * once when a request saw a connection error) on a connection of its own, so /health never queues
 * behind busy pool connections and answers within milliseconds under any load. Listeners run when
 * the database comes back (the audit spool is replayed then).
 */
@Injectable()
export class DatabaseHealth implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Database');
  private up = true;
  /** When it last came back (ms since epoch); 0 if it never went away. */
  private recoveredAt = 0;
  private lastError: string | undefined;
  private checking: Promise<boolean> | undefined;
  private slowProbes = 0;
  private client: Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly recoveryListeners: Array<() => void> = [];

  constructor(
    private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.check(), PROBE_EVERY_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.client?.end().catch(() => undefined);
  }

  get available(): boolean {
    return this.up;
  }

  get reason(): string | undefined {
    return this.up ? undefined : this.lastError;
  }

  /** Whether the database was unavailable at any moment since `since` (ms since epoch). */
  unavailableSince(since: number): boolean {
    return !this.up || this.recoveredAt >= since;
  }

  onRecovery(listener: () => void): void {
    this.recoveryListeners.push(listener);
  }

  /** A request met a connection error: believe it now, and probe soon to learn when it is back. */
  markUnavailable(error: unknown): void {
    if (this.up) this.logger.warn(`the database is unavailable: ${(error as Error)?.message ?? String(error)}`);
    this.up = false;
    this.lastError = (error as Error)?.message ?? String(error);
    void this.check();
  }

  /** Probes now (concurrent callers share one probe); resolves to whether the database answered. */
  check(): Promise<boolean> {
    this.checking ??= this.probe().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async probe(): Promise<boolean> {
    let ok = true;
    try {
      const probe = this.select1();
      await (databaseKind(this.config) === 'pglite' ? probe : withTimeout(probe, PROBE_TIMEOUT_MS));
      this.slowProbes = 0;
    } catch (e) {
      // One slow answer may be load, not an outage: only a second in a row counts (errors count at once).
      if (e instanceof ProbeTimeout && ++this.slowProbes < 2 && this.up) return true;
      ok = false;
      this.lastError = (e as Error).message;
      const client = this.client;
      this.client = undefined;
      client?.end().catch(() => undefined);
    }
    const was = this.up;
    this.up = ok;
    if (!ok && was) this.logger.warn(`the database is unavailable: ${this.lastError}`);
    if (ok && !was) {
      this.recoveredAt = Date.now();
      this.logger.log('the database answers again');
      for (const listener of this.recoveryListeners) listener();
    }
    return ok;
  }

  private async select1(): Promise<void> {
    if (databaseKind(this.config) === 'pglite') {
      // Embedded: it cannot become unreachable; a busy one is not down, so no pool bypass is needed.
      await this.db.query('SELECT 1');
      return;
    }
    if (!this.client) {
      const client = new Client({ connectionString: this.config.databaseUrl, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
      client.on('error', () => undefined); // a dropped probe connection is seen by the next probe
      await client.connect();
      this.client = client;
    }
    await this.client.query('SELECT 1');
  }
}

class ProbeTimeout extends Error {}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new ProbeTimeout(`no answer within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}
