import { Injectable } from '@nestjs/common';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'rx_' });
  }

  observe(method: string, route: string, operation: string, status: number, seconds: number): void {
    this.requests.inc({ method, route, operation, status: String(status) });
    this.latency.observe({ method, route, operation }, seconds);
  }
}
