import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AuthFailureRecorder } from '../../audit/auth-failures';
import { AuditAction } from '../../audit/audit.actions';
import { AuditService } from '../../audit/audit.service';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { GatewayKeyService } from '../../gateway/gateway-key.service';
import { PartnerKind } from '../../partners/partner.enums';
import { budgetSpentMessage } from '../../ratelimit/budget';
import { RateLimiterService } from '../../ratelimit/rate-limiter.service';
import { AssertionError } from '../assertion-verifier';
import { AuthService } from '../auth.service';
import { ACCESS_TOKEN_ALG, ACCESS_TOKEN_TYP, accessTokenClaims } from './access-token';
import { HIDDEN_CLIENT_RULES, verifyClientAssertion, VerifiedClientAssertion } from './client-assertion';
import { consumeClientAssertionJti, sweepClientAssertionJtis } from './client-assertion-jtis';
import { OAuthError, quoted } from './oauth-errors';
import { BEARER_REALM, resourceOf, tokenEndpointOf } from './oauth.paths';
import { parseTokenRequest } from './token-request';

/** What one token request costs from the partner's budget: as much as a small GraphQL query. */
export const OAUTH_TOKEN_COST = 2;

const CLIENT_AUTH_FAILED =
  'client authentication failed: send a client_assertion (RFC 7523) with iss = sub = your partner id, signed by an active key registered for your partner id, with that key\'s kid and alg in its header';

/** The RFC 6749 section 5.1 answer. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

/**
 * POST /oauth/token: the client_credentials grant with private_key_jwt client authentication
 * (RFC 6749 section 4.4, RFC 7523), answering RFC 9068 access tokens for the SSF endpoints.
 * Issuance is audited (`oauth.token`) in the transaction that spends the assertion's jti;
 * refusals are counted in the `auth.failure` entries with rule `oauth-<rule>`.
 */
@Injectable()
export class OAuthTokenService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('OAuth');
  private sweeper?: NodeJS.Timeout;

  constructor(
    private readonly db: DataSource,
    private readonly auth: AuthService,
    private readonly keys: GatewayKeyService,
    private readonly audit: AuditService,
    private readonly limiter: RateLimiterService,
    private readonly failures: AuthFailureRecorder,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    // Spent jtis are kept only while their assertion could still be accepted (at most about 6 minutes).
    this.sweeper = setInterval(() => {
      sweepClientAssertionJtis(this.db).catch((e: Error) => this.logger.warn(`could not sweep spent client assertions: ${e.message}`));
    }, 60_000);
    this.sweeper.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweeper);
  }

  async issue(body: unknown, authorization: string | string[] | undefined): Promise<TokenResponse> {
    let partnerId: string | undefined;
    try {
      if (authorization !== undefined) {
        // RFC 6749 section 5.2: a client that tried HTTP authentication gets 401 with a challenge of its scheme.
        const scheme = /^[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*/.exec(String(authorization))?.[0] ?? 'Basic';
        throw new OAuthError('invalid_client', 'HTTP authentication is not supported here: authenticate with private_key_jwt (client_assertion_type and client_assertion in the body, RFC 7523)', 401, 'http-auth', {
          'www-authenticate': `${scheme} realm=${quoted(BEARER_REALM)}`,
        });
      }
      const request = parseTokenRequest(body, resourceOf(this.config.issuer));
      const client = await this.authenticateClient(request.clientAssertion, (id) => (partnerId = id));
      if (request.clientId !== undefined && request.clientId !== client.partnerId) {
        throw new OAuthError('invalid_client', 'client_id must be the partner id in the iss and sub of client_assertion', 400, 'client-id');
      }
      const kind = (await this.auth.partnerKeys(client.partnerId))?.kind as PartnerKind;
      const decision = await this.limiter.consume(client.partnerId, kind, OAUTH_TOKEN_COST);
      if (!decision.allowed) {
        throw new OAuthError('temporarily_unavailable', budgetSpentMessage(decision), 429, 'rate-limited', { 'retry-after': String(decision.retryAfterSeconds) });
      }
      return await this.mint(client, request.scopes);
    } catch (e) {
      if (e instanceof OAuthError) {
        this.failures.note(partnerId, `oauth-${e.rule}`);
        this.logger.log(`token request refused (oauth-${e.rule}) for ${partnerId ?? 'an unknown client'}: ${e.description}`);
      }
      throw e;
    }
  }

  /** Verifies the client assertion; `known` learns the partner id once the partner exists (for the audit counts). */
  private async authenticateClient(token: string, known: (id: string) => void): Promise<VerifiedClientAssertion> {
    const issuer = this.config.issuer;
    try {
      return await verifyClientAssertion(token, {
        audiences: [tokenEndpointOf(issuer), issuer],
        now: Math.floor(Date.now() / 1000),
        importKey: (key) => this.auth.importKey(key),
        loadPartner: async (id) => {
          const partner = await this.auth.partnerKeys(id);
          if (partner) known(partner.id);
          return partner;
        },
      });
    } catch (e) {
      if (!(e instanceof AssertionError)) throw e;
      // RFC 7523 section 3.2: every problem with the client's JWT is invalid_client.
      const description = HIDDEN_CLIENT_RULES.has(e.rule) ? CLIENT_AUTH_FAILED : `client authentication failed (${e.rule}): ${e.message}`;
      throw new OAuthError('invalid_client', description, 400, `client-${e.rule}`);
    }
  }

  private async mint(client: VerifiedClientAssertion, scopes: ReturnType<typeof parseTokenRequest>['scopes']): Promise<TokenResponse> {
    const ttl = this.config.accessTokenTtlSeconds;
    const claims = accessTokenClaims({
      issuer: this.config.issuer,
      audience: resourceOf(this.config.issuer),
      partnerId: client.partnerId,
      kid: client.kid,
      scopes,
      now: Math.floor(Date.now() / 1000),
      ttlSeconds: ttl,
      jti: randomUUID(),
    });
    const token = await this.keys.signJwt({ ...claims }, ACCESS_TOKEN_TYP, ACCESS_TOKEN_ALG);
    await this.db.transaction(async (tx) => {
      if (!(await consumeClientAssertionJti(tx, client.partnerId, client.jti, new Date(client.acceptableUntil * 1000)))) {
        throw new OAuthError('invalid_client', `client authentication failed (jti): this client_assertion (jti "${client.jti.slice(0, 128)}") was used already: mint a new one, with a new jti, for every token request`, 400, 'client-jti-replay');
      }
      await this.audit.append(tx, {
        actor: client.partnerId,
        action: AuditAction.OAuthToken,
        target: client.partnerId,
        // Identifiers only: never the token or the assertion.
        details: { token_jti: claims.jti, assertion_jti: client.jti, kid: client.kid, scope: claims.scope, expires_at: new Date(claims.exp * 1000).toISOString() },
        concerns: [client.partnerId],
      });
    });
    return { access_token: token, token_type: 'Bearer', expires_in: ttl, scope: claims.scope };
  }
}
