import { Global, Module } from '@nestjs/common';
import { MetricsController } from '../observability/metrics.controller';
import { MetricsService } from '../observability/metrics';
import { GatewayController } from './gateway.controller';
import { GatewayKeyService } from './gateway-key.service';

@Global()
@Module({
  controllers: [GatewayController, MetricsController],
  providers: [GatewayKeyService, MetricsService],
  exports: [GatewayKeyService, MetricsService],
})
export class GatewayModule {}
