import { Inject, Injectable, Logger } from '@nestjs/common';
import { compactVerify, createLocalJWKSet, importJWK } from 'jose';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/config';
import { Partner } from '../partners/partner.entity';
import { PartnerKey } from '../partners/partner-key.entity';
import { PartnerKind } from '../partners/partner.enums';
import { AssertionError, AssertionPartner, verifyPartnerAssertion } from './assertion-verifier';
import { AuthenticatedPartner } from './authenticated-partner';
import { RequestWithPartner } from './decorators';
import { unauthenticated } from '../common/errors';
import { AuthFailureRecorder } from '../audit/auth-failures';
import { GatewayKeyService } from '../gateway/gateway-key.service';
import { HIDDEN_TOKEN_RULES, looksLikeAccessToken, verifyAccessToken } from './oauth/access-token';
import { resourceOf } from './oauth/oauth.paths';

/**
 * Rules that can only fail after the signature verified: only a holder of the partner's private
 * key gets this far, so naming the rule tells nobody anything new. Every other rule (a malformed
 * token, an unknown partner or kid, a wrong algorithm, a bad signature) reads the same to the
 * client, so the answers do not tell which partner ids and kids exist. The rule is still noted
 * for the logs and the `auth.failure` audit entries. A revoked key is named too: its signature
 * verified, so the caller holds that private key (the partner mid-rotation, or a thief who learns
 * only that the theft was noticed).
 */
const NAMED_AFTER_SIGNATURE = new Set(['partner-status', 'key-revoked', 'aud', 'iat', 'exp', 'lifetime', 'jti']);
/** An access token anywhere but on the routes marked @AcceptsAccessToken. */
export const ACCESS_TOKEN_ELSEWHERE =
  'authentication failed (access-token): an OAuth access token (typ at+jwt) is only for the SSF endpoints (/ssf/*); GraphQL and every other route take a partner assertion (typ partner-auth+jwt)';
export const INVALID_ACCESS_TOKEN = 'authentication failed: not a valid access token of this gateway; get one from POST /oauth/token';
export const AUTHENTICATION_FAILED =
  'authentication failed: send "Authorization: Bearer <assertion>" with an assertion in the form of token profile section 2, signed by an active key registered for your partner id';

interface CachedPartner {
  /** `ssfIssuer` and `maxIatAgeSeconds`: the partner's SSF identity, read by the SET verifier (issue 14). */
  partner: (AssertionPartner & { kind: PartnerKind; ssfIssuer: string | null; maxIatAgeSeconds: number | null }) | null;
  loadedAt: number;
}

/**
 * Authenticates partner assertions. A partner's status and keys are cached for at most
 * AUTH_CACHE_TTL_MS (default 2 s): a change made on this replica invalidates the entry at once,
 * and other replicas see it within that TTL (under the 5 s the profile allows).
 */
@Injectable()
export class AuthService {
  private readonly logger = new Logger('Auth');
  private readonly cache = new Map<string, CachedPartner>();
  /** Assertions whose signature and claims were verified, until they expire (oldest evicted first). */
  private readonly verified = new Map<string, { partnerId: string; kid: string; exp: number }>();
  /** Bumped by invalidate(): a load that started before a change never re-caches the old state. */
  private readonly generation = new Map<string, number>();
  /** Imported keys, by the cached key object: dropped with the cache entry that holds it. */
  private readonly imported = new WeakMap<object, Promise<Parameters<typeof compactVerify>[1]>>();

  constructor(
    private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly failures: AuthFailureRecorder,
    private readonly gatewayKeys: GatewayKeyService,
  ) {}

  /**
   * Authenticates a request once; later calls for the same request share the result.
   * `acceptsAccessToken`: the route is marked @AcceptsAccessToken (the SSF endpoints).
   */
  authenticateRequest(request: RequestWithPartner, acceptsAccessToken = false): Promise<AuthenticatedPartner> {
    request.authentication ??= this.authenticateHeader(request.headers.authorization, acceptsAccessToken).then((partner) => {
      request.partner = partner;
      return partner;
    });
    return request.authentication;
  }

  async authenticateHeader(header: string | string[] | undefined, acceptsAccessToken = false): Promise<AuthenticatedPartner> {
    if (header === undefined || Array.isArray(header) || !/^Bearer [^\s]+$/.test(header)) {
      this.failures.note(undefined, 'bearer');
      this.logger.log(`authentication failed (bearer): ${header === undefined ? 'no' : 'a malformed'} Authorization header`);
      throw unauthenticated(AUTHENTICATION_FAILED);
    }
    const token = header.slice('Bearer '.length);
    // A memoised assertion is not an access token: skip decoding its header on the hot path.
    if (!this.verified.has(token) && looksLikeAccessToken(token)) {
      if (acceptsAccessToken) return this.authenticateAccessToken(token);
      this.failures.note(undefined, 'access-token-elsewhere');
      this.logger.log('authentication failed (access-token-elsewhere): an access token outside the SSF endpoints');
      throw unauthenticated(ACCESS_TOKEN_ELSEWHERE);
    }
    return this.authenticateAssertion(token);
  }

  private gatewayJwks?: ReturnType<typeof createLocalJWKSet>;

  /** RFC 9068 access tokens of the token endpoint; the partner and the key that obtained it are checked as of now. */
  async authenticateAccessToken(token: string): Promise<AuthenticatedPartner> {
    this.gatewayJwks ??= createLocalJWKSet(this.gatewayKeys.jwks()); // the keys are fixed once the app has started
    let known: string | undefined;
    let kind: PartnerKind | undefined;
    try {
      const verified = await verifyAccessToken(token, {
        issuer: this.config.issuer,
        audience: resourceOf(this.config.issuer),
        now: Math.floor(Date.now() / 1000),
        key: this.gatewayJwks,
        loadPartner: async (id) => {
          const p = await this.loadPartner(id);
          known = p?.id;
          kind = p?.kind;
          return p;
        },
      });
      return { id: verified.partnerId, kind: kind as PartnerKind, kid: verified.kid, scopes: verified.scopes };
    } catch (e) {
      if (e instanceof AssertionError) {
        this.failures.note(known, `access-token-${e.rule}`);
        this.logger.log(`authentication failed (access-token-${e.rule}) for ${known ?? 'an unknown partner'}: ${e.message}`);
        throw unauthenticated(HIDDEN_TOKEN_RULES.has(e.rule) ? INVALID_ACCESS_TOKEN : `authentication failed (${e.rule}): ${e.message}`);
      }
      throw e;
    }
  }

  async authenticateAssertion(token: string): Promise<AuthenticatedPartner> {
    const now = Math.floor(Date.now() / 1000);
    // A client reuses one assertion for its lifetime (at most 300 s): its signature and claims need
    // checking once. The partner's status and the key's status are still checked on every request.
    const seen = this.verified.get(token);
    if (seen && now <= seen.exp + 60) {
      const partner = await this.loadPartner(seen.partnerId);
      const key = partner?.keys.find((k) => k.kid === seen.kid);
      if (partner && partner.status === 'ACTIVE' && key?.status === 'ACTIVE') return { id: partner.id, kind: partner.kind, kid: key.kid };
      this.verified.delete(token); // changed since: verify from scratch, which names the rule
    }
    let kind: PartnerKind | undefined;
    let known: string | undefined;
    try {
      const verified = await verifyPartnerAssertion(token, {
        audience: this.config.audience,
        now,
        importKey: (key) => this.importKey(key),
        loadPartner: async (id) => {
          const p = await this.loadPartner(id);
          kind = p?.kind;
          known = p?.id;
          return p;
        },
      });
      if (this.verified.size >= 10_000) this.verified.delete(this.verified.keys().next().value as string);
      this.verified.set(token, { partnerId: verified.partnerId, kid: verified.kid, exp: verified.exp });
      return { id: verified.partnerId, kind: kind as PartnerKind, kid: verified.kid };
    } catch (e) {
      if (e instanceof AssertionError) {
        this.failures.note(known, e.rule);
        this.logger.log(`authentication failed (${e.rule}) for ${known ?? 'an unknown partner'}: ${e.message}`);
        throw unauthenticated(NAMED_AFTER_SIGNATURE.has(e.rule) ? `authentication failed (${e.rule}): ${e.message}` : AUTHENTICATION_FAILED);
      }
      throw e;
    }
  }

  /** Imports a cached key once (importing costs more than verifying an Ed25519 signature). */
  importKey(key: { jwk: object; alg: string }): Promise<Parameters<typeof compactVerify>[1]> {
    let imported = this.imported.get(key);
    if (!imported) {
      imported = importJWK({ ...(key.jwk as Record<string, unknown>) }, key.alg);
      this.imported.set(key, imported);
    }
    return imported;
  }

  /** A partner's status, kind and keys, from the same short-lived cache as authentication. */
  partnerKeys(id: string) {
    return this.loadPartner(id);
  }

  /** Forget a partner's cached status and keys (after a change on this replica). */
  invalidate(partnerId: string): void {
    this.generation.set(partnerId, (this.generation.get(partnerId) ?? 0) + 1);
    this.cache.delete(partnerId);
  }

  private async loadPartner(id: string): Promise<CachedPartner['partner']> {
    const now = Date.now();
    const hit = this.cache.get(id);
    if (hit && now - hit.loadedAt < this.config.authCacheTtlMs) return hit.partner;
    const generation = this.generation.get(id) ?? 0;
    const partner = await this.db.getRepository(Partner).findOne({ where: { id } });
    let value: CachedPartner['partner'] = null;
    if (partner) {
      const keys = await this.db.getRepository(PartnerKey).find({ where: { partnerId: id } });
      value = {
        id: partner.id,
        kind: partner.kind,
        status: partner.status,
        ssfIssuer: partner.ssfIssuer,
        maxIatAgeSeconds: partner.maxIatAgeSeconds,
        keys: keys.map((k) => ({ kid: k.kid, alg: k.alg, status: k.status, jwk: k.jwk })),
      };
    }
    // Unknown ids are not cached (a flood of made-up ids must not evict real partners).
    if (value && (this.generation.get(id) ?? 0) === generation) {
      this.cache.delete(id);
      if (this.cache.size >= 10_000) this.cache.delete(this.cache.keys().next().value as string); // oldest first
      this.cache.set(id, { partner: value, loadedAt: now });
    }
    return value;
  }
}
