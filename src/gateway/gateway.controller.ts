import { Controller, Get, Header, HttpException, HttpStatus } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Public } from '../auth/decorators';
import { GatewayKeyService } from './gateway-key.service';
import { Inject } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config';
import { databaseKind } from '../database/data-source';

/** The only public routes: health and the gateway's public keys. */
@Controller()
export class GatewayController {
  constructor(
    private readonly keys: GatewayKeyService,
    private readonly db: DataSource,
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
  async health() {
    const database = databaseKind(this.config);
    try {
      await this.db.query('SELECT 1');
    } catch {
      throw new HttpException({ status: 'unavailable', database, reason: 'database did not answer' }, HttpStatus.SERVICE_UNAVAILABLE);
    }
    return { status: 'ok', database };
  }
}
