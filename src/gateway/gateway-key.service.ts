import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import * as path from 'node:path';
import { CompactSign, type JWK } from 'jose';
import { APP_CONFIG, AppConfig } from '../config/config';
import { GatewayKey, loadOrCreateGatewayKey } from './gateway-key';

/** Holds the gateway's signing key: GATEWAY_KEY_FILE, or DATA_DIR/gateway-key.jwk created on first start. */
@Injectable()
export class GatewayKeyService implements OnModuleInit {
  private readonly logger = new Logger('GatewayKey');
  private key: GatewayKey;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async onModuleInit(): Promise<void> {
    const file = this.config.gatewayKeyFile ?? path.join(this.config.dataDir, 'gateway-key.jwk');
    this.key = await loadOrCreateGatewayKey(file, this.config.gatewayKeyFile === undefined);
    if (this.key.created) this.logger.log(`generated the gateway signing key in ${file} (mode 0600), kid ${this.key.kid}`);
  }

  get kid(): string {
    return this.key.kid;
  }

  jwks(): { keys: JWK[] } {
    return { keys: [this.key.publicJwk] };
  }

  /**
   * Signs JWT claims with the gateway key of `alg` (a stream chooses EdDSA or RS256; the RSA key
   * comes with delivery: until then RS256 is refused).
   */
  async signJwt(claims: Record<string, unknown>, typ: string, alg: 'EdDSA' | 'RS256' = 'EdDSA'): Promise<string> {
    if (alg !== 'EdDSA') throw new Error(`the gateway has no ${alg} key`);
    return this.sign(new TextEncoder().encode(JSON.stringify(claims)), typ);
  }

  /** Signs a payload as a compact JWS with the gateway key. */
  async sign(payload: Uint8Array, typ: string): Promise<string> {
    return new CompactSign(payload).setProtectedHeader({ alg: 'EdDSA', kid: this.key.kid, typ }).sign(this.key.privateKey);
  }
}
