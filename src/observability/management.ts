// The management port's main-thread half: starts the worker (management.worker.ts), feeds it, and
// restarts it when it dies. README "Failure behaviour" says which port to probe under load.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/config';
import { databaseKind } from '../database/data-source';
import { DatabaseHealth } from '../database/database-health';
import { loadResilienceConfig } from '../resilience/resilience.config';
import { restartDelayMs } from './management-http';
import type { ManagementMessage, ManagementReport, ManagementWorkerData } from './management.worker';
import { MetricsService } from './metrics';

/** How often the main loop stamps its heartbeat (the worker's liveness rule reads it). */
export const HEARTBEAT_EVERY_MS = 100;
/** A worker that served this long before dying starts again without the backoff of earlier failures. */
const STABLE_AFTER_MS = 60_000;

/** What the main thread knows and the worker needs: the database state and the metrics text. */
export interface ManagementSources {
  database: string;
  databaseUrl: string | undefined;
  databaseAvailable(): boolean;
  /** The /metrics text; its errors are the caller's to survive. */
  scrape(): Promise<string>;
}

export interface ManagementOptions {
  host: string;
  port: number;
  scrapeIntervalMs: number;
  heartbeatTimeoutMs: number;
  metricsToken: string | undefined;
  retryAfterSeconds: number;
}

/** Compiled worker beside this file; under jest (this file is .ts) the TypeScript source through ts-node. */
function workerEntry(): { file: string; execArgv: string[] } {
  if (__filename.endsWith('.js')) return { file: path.join(__dirname, 'management.worker.js'), execArgv: [] };
  const file = path.join(__dirname, 'management.worker.ts');
  if (!fs.existsSync(file)) throw new Error(`management: worker source ${file} is missing`);
  return { file, execArgv: ['--require', 'ts-node/register/transpile-only'] };
}

/**
 * Runs the management worker: a heartbeat in shared memory every 100 ms, the database state when
 * it changes, a fresh /metrics text every `scrapeIntervalMs` (and at start). The worker never
 * takes the gateway down: its errors are logged, and a worker that exits is started again after
 * 250 ms doubling to 30 s. stop() ends it and every timer.
 */
export class ManagementServer {
  private readonly heartbeat = new BigInt64Array(new SharedArrayBuffer(8));
  private worker: Worker | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private scrapeTimer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private scraping = false;
  private snapshot: { text: string; at: number } | undefined;
  private lastAvailable = true;
  private failures = 0;
  private stopped = false;
  private startedAt = 0;
  private listening: { port: number } | undefined;
  private readonly listeners: Array<(port: number) => void> = [];
  /** Starts of the worker so far (restarts included): tests read it. */
  starts = 0;

  constructor(
    private readonly options: ManagementOptions,
    private readonly sources: ManagementSources,
    private readonly logger: Logger,
  ) {}

  /** The port the current worker listens on (undefined while it is starting or restarting). */
  get port(): number | undefined {
    return this.listening?.port;
  }

  /** Ends the running worker as a crash would, so it is restarted (tests; an operator has no use for it). */
  async kill(): Promise<void> {
    await this.worker?.terminate();
  }

  /** Resolves with the port once a worker listens (now, if one does). */
  whenListening(): Promise<number> {
    if (this.listening) return Promise.resolve(this.listening.port);
    return new Promise((resolve) => this.listeners.push(resolve));
  }

  /** Never waits for the first scrape (it may read a slow database): the worker gets it as a message. */
  start(): void {
    this.beat();
    this.heartbeatTimer = setInterval(() => this.beat(), HEARTBEAT_EVERY_MS).unref();
    this.spawn();
    void this.refresh();
    this.scrapeTimer = setInterval(() => void this.refresh(), this.options.scrapeIntervalMs).unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.heartbeatTimer);
    clearInterval(this.scrapeTimer);
    clearTimeout(this.restartTimer);
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  /** Also publishes the database state when it changed: both are main-loop facts, checked together. */
  private beat(): void {
    Atomics.store(this.heartbeat, 0, BigInt(Date.now()));
    const available = this.sources.databaseAvailable();
    if (available !== this.lastAvailable) {
      this.lastAvailable = available;
      this.post({ type: 'state', available });
    }
  }

  /** One scrape at a time: a slow one (a busy database behind the delivery gauges) is not stacked. */
  private async refresh(): Promise<void> {
    if (this.scraping) return;
    this.scraping = true;
    try {
      this.snapshot = { text: await this.sources.scrape(), at: Date.now() };
      this.post({ type: 'snapshot', ...this.snapshot });
    } catch (e) {
      this.logger.warn({ err: (e as Error).message }, 'management: the metrics scrape failed; the management port keeps the previous one');
    } finally {
      this.scraping = false;
    }
  }

  private post(message: ManagementMessage): void {
    try {
      this.worker?.postMessage(message);
    } catch {
      // A worker on its way out: the next one starts from the current state.
    }
  }

  private spawn(): void {
    if (this.stopped) return;
    const available = this.sources.databaseAvailable();
    this.lastAvailable = available;
    const data: ManagementWorkerData = {
      host: this.options.host,
      port: this.options.port,
      database: this.sources.database,
      databaseUrl: this.sources.databaseUrl,
      metricsToken: this.options.metricsToken,
      heartbeatTimeoutMs: this.options.heartbeatTimeoutMs,
      retryAfterSeconds: this.options.retryAfterSeconds,
      heartbeat: this.heartbeat.buffer as SharedArrayBuffer,
      databaseAvailable: available,
      snapshot: this.snapshot?.text,
      snapshotAt: this.snapshot?.at,
    };
    const { file, execArgv } = workerEntry();
    let worker: Worker;
    try {
      worker = new Worker(file, { execArgv, workerData: data });
    } catch (e) {
      this.logger.error({ err: (e as Error).message }, 'management: the worker did not start');
      this.scheduleRestart();
      return;
    }
    this.starts++;
    this.startedAt = Date.now();
    this.worker = worker;
    worker.unref(); // never what keeps the process alive
    worker.on('message', (m: ManagementReport) => {
      if (m.type === 'probe') {
        if (m.failure === undefined) this.logger.info('management: the database answers the management probe again');
        else this.logger.warn({ err: m.failure }, `management: the database did not answer the management probe: ${m.failure}`);
        return;
      }
      this.listening = { port: m.port };
      this.logger.info({ managementPort: m.port, managementHost: this.options.host }, `management port listening on ${this.options.host}:${m.port} (GET /health, GET /metrics)`);
      for (const resolve of this.listeners.splice(0)) resolve(m.port);
    });
    worker.on('error', (e) => this.logger.error({ err: e.message }, `management: the worker failed: ${e.message}`));
    worker.on('exit', (code) => {
      if (this.worker !== worker) return; // stopped, or already replaced
      this.worker = undefined;
      this.listening = undefined;
      if (this.stopped) return;
      if (Date.now() - this.startedAt >= STABLE_AFTER_MS) this.failures = 0;
      this.logger.error({ code }, `management: the worker exited (code ${code}); starting another`);
      this.scheduleRestart();
    });
  }

  private scheduleRestart(): void {
    const delay = restartDelayMs(++this.failures);
    this.restartTimer = setTimeout(() => this.spawn(), delay).unref();
  }
}

const servers = new WeakMap<object, ManagementServer>();

/** The app's management server, if it has one (tests use it). */
export function managementOf(app: NestFastifyApplication): ManagementServer | undefined {
  return servers.get(app);
}

/**
 * Starts the management port when the gateway listens and stops it when the gateway closes
 * (MANAGEMENT_PORT=0: nothing). createApp calls this; main.ts and in-process tests share it.
 */
export function installManagement(app: NestFastifyApplication, config: AppConfig, logger: Logger): void {
  if (config.management.port === 0) return;
  const health = app.get(DatabaseHealth);
  const metrics = app.get(MetricsService);
  const server = new ManagementServer(
    {
      host: config.management.host,
      port: config.management.port,
      scrapeIntervalMs: config.management.scrapeIntervalMs,
      heartbeatTimeoutMs: config.management.heartbeatTimeoutMs,
      metricsToken: config.metricsToken,
      retryAfterSeconds: loadResilienceConfig().unavailableRetryAfterSeconds,
    },
    {
      database: databaseKind(config),
      databaseUrl: databaseKind(config) === 'postgres' ? config.databaseUrl : undefined,
      databaseAvailable: () => health.available,
      // The delivery gauges read the database; while it is away, the registry's own text still goes out.
      scrape: () => metrics.scrape().catch(() => metrics.registry.metrics()),
    },
    logger,
  );
  servers.set(app, server);
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onListen', async () => server.start());
  fastify.addHook('onClose', async () => server.stop());
}
