import { Controller, Get, Header, HttpException, HttpStatus } from '@nestjs/common';
import { Public } from '../auth/decorators';
import { GatewayKeyService } from './gateway-key.service';
import { Inject } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config';
import { databaseKind } from '../database/data-source';
import { DatabaseHealth } from '../database/database-health';

/** The only public routes: health and the gateway's public keys. */
@Controller()
export class GatewayController {
  constructor(
    private readonly keys: GatewayKeyService,
    private readonly dbHealth: DatabaseHealth,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Public()
  @Get('/.well-known/jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  jwks() {
    return this.keys.jwks();
  }

  @Public()
  @Get('/health')
  @Header('Cache-Control', 'no-store')
  health() {
    // The last probe's answer (at most 2 s old), so /health never waits behind a busy database.
    const database = databaseKind(this.config);
    if (!this.dbHealth.available) {
      throw new HttpException({ status: 'unavailable', database, reason: 'database did not answer' }, HttpStatus.SERVICE_UNAVAILABLE);
    }
    return { status: 'ok', database };
  }
}
