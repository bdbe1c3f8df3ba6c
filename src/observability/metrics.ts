import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Backlog and dead letters per delivery method, read from the ledger when metrics are scraped. */
export type DeliveryBacklogSource = () => Promise<Array<{ method: string; backlog: number; dead: number }>>;

/** Prometheus metrics: request counts and latency by route and GraphQL operation. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'rx_requests_total',
    help: 'Requests served, by route, GraphQL operation and HTTP status.',
    labelNames: ['method', 'route', 'operation', 'status'] as const,
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'rx_request_duration_seconds',
    help: 'Request latency in seconds, by route and GraphQL operation.',
    labelNames: ['method', 'route', 'operation'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  /** Commit of the notice to its delivery (poll response, push answered, subscription message). */
  readonly deliveryLatency = new Histogram({
    name: 'rx_delivery_latency_seconds',
    help: 'Commit-to-delivery latency of notices in seconds, by delivery method (poll, push, subscription).',
    labelNames: ['method'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  private backlogSource: DeliveryBacklogSource | null = null;
  private readonly deliveryBacklog = new Gauge({ name: 'rx_delivery_backlog', help: 'Notices not yet acknowledged (pending or held), by delivery method.', labelNames: ['method'] as const, registers: [this.registry] });
  private readonly deliveryDead = new Gauge({ name: 'rx_delivery_dead_letters', help: 'Push deliveries given up after PUSH_MAX_ATTEMPTS (dead letters), by delivery method.', labelNames: ['method'] as const, registers: [this.registry] });

  /** Delivery registers where its backlog is read from; read once per scrape. */
  setDeliveryBacklogSource(source: DeliveryBacklogSource): void {
    this.backlogSource = source;
  }

  /** The registry's text, with the delivery gauges refreshed first. */
  async scrape(): Promise<string> {
    if (this.backlogSource) {
      this.deliveryBacklog.reset();
      this.deliveryDead.reset();
      for (const r of await this.backlogSource()) {
        this.deliveryBacklog.set({ method: r.method }, r.backlog);
        this.deliveryDead.set({ method: r.method }, r.dead);
      }
    }
    return this.registry.metrics();
  }

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'rx_' });
  }

  observe(method: string, route: string, operation: string, status: number, seconds: number): void {
    this.requests.inc({ method, route, operation, status: String(status) });
    this.latency.observe({ method, route, operation }, seconds);
  }
}
