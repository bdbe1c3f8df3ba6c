import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import * as path from 'node:path';
import { CompactSign, type JWK } from 'jose';
import { APP_CONFIG, AppConfig } from '../config/config';
import { GatewayKey, loadOrCreateGatewayKey } from './gateway-key';
import { loadOrCreateGatewayRsaKey } from './gateway-rsa-key';

/** The algorithms the gateway signs with (a stream chooses one for its SETs). */
export type GatewayAlg = 'EdDSA' | 'RS256';

/**
 * Holds the gateway's signing keys: Ed25519 (GATEWAY_KEY_FILE, or DATA_DIR/gateway-key.jwk) and
 * RSA-2048 for RS256 (GATEWAY_RSA_KEY_FILE, or DATA_DIR/gateway-rsa-key.jwk), each created on
 * first start at its default path.
 */
@Injectable()
export class GatewayKeyService implements OnModuleInit {
  private readonly logger = new Logger('GatewayKey');
  private key: GatewayKey;
  private rsaKey: GatewayKey;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async onModuleInit(): Promise<void> {
    const file = this.config.gatewayKeyFile ?? path.join(this.config.dataDir, 'gateway-key.jwk');
    this.key = await loadOrCreateGatewayKey(file, this.config.gatewayKeyFile === undefined);
    if (this.key.created) this.logger.log(`generated the gateway signing key in ${file} (mode 0600), kid ${this.key.kid}`);
    const rsaFile = this.config.gatewayRsaKeyFile ?? path.join(this.config.dataDir, 'gateway-rsa-key.jwk');
    this.rsaKey = await loadOrCreateGatewayRsaKey(rsaFile, this.config.gatewayRsaKeyFile === undefined);
    if (this.rsaKey.created) this.logger.log(`generated the gateway RS256 signing key in ${rsaFile} (mode 0600), kid ${this.rsaKey.kid}`);
  }

  get kid(): string {
    return this.key.kid;
  }

  /** The public keys, Ed25519 first (tools that take the first key keep finding the one that signs checkpoints). */
  jwks(): { keys: JWK[] } {
    return { keys: [this.key.publicJwk, this.rsaKey.publicJwk] };
  }

  /** Signs JWT claims with the gateway key of `alg` (a stream chooses EdDSA or RS256). */
  async signJwt(claims: Record<string, unknown>, typ: string, alg: GatewayAlg = 'EdDSA'): Promise<string> {
    const payload = new TextEncoder().encode(JSON.stringify(claims));
    if (alg === 'EdDSA') return this.sign(payload, typ);
    if (alg === 'RS256') return new CompactSign(payload).setProtectedHeader({ alg: 'RS256', kid: this.rsaKey.kid, typ }).sign(this.rsaKey.privateKey);
    throw new Error(`the gateway has no ${String(alg)} key`);
  }

  /** Signs a payload as a compact JWS with the gateway key. */
  async sign(payload: Uint8Array, typ: string): Promise<string> {
    return new CompactSign(payload).setProtectedHeader({ alg: 'EdDSA', kid: this.key.kid, typ }).sign(this.key.privateKey);
  }
}
