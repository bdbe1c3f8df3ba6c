import { Controller, Get, Header } from '@nestjs/common';
import { MetricsTokenAccepted, Permissions } from '../auth/decorators';
import { Permission } from '../auth/permissions';
import { MetricsService } from './metrics';

@Controller()
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  /** Prometheus exposition: Bearer METRICS_TOKEN (when set), or an operator assertion. */
  @Get('/metrics')
  @Permissions(Permission.ReadMetrics)
  @MetricsTokenAccepted()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.scrape();
  }
}
