import { Body, Controller, Get, Header, Headers, HttpCode, Inject, Post, UseFilters } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { ALLOWED_ALGS } from '../assertion-verifier';
import { Public } from '../decorators';
import { CLIENT_CREDENTIALS, jwksUriOf, OAUTH_METADATA_PATH, OAUTH_TOKEN_PATH, tokenEndpointOf } from './oauth.paths';
import { OAuthExceptionFilter } from './oauth.filter';
import { OAuthTokenService, TokenResponse } from './token.service';
import { SUPPORTED_SCOPES } from './token-request';

/**
 * The OAuth 2.0 authorization server of the SSF endpoints: the token endpoint and its RFC 8414
 * metadata. Both are public: the token endpoint authenticates its client from the body.
 */
@Controller()
export class OAuthController {
  constructor(
    private readonly tokens: OAuthTokenService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Public()
  @Post(OAUTH_TOKEN_PATH)
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  @UseFilters(OAuthExceptionFilter)
  token(@Body() body: unknown, @Headers('authorization') authorization: string | undefined): Promise<TokenResponse> {
    return this.tokens.issue(body, authorization);
  }

  /**
   * RFC 8414 section 2. `response_types_supported` is left out: no grant of this server uses the
   * authorization endpoint, so the list would be empty, and section 3.2 says members with zero
   * elements MUST be omitted (RFC 8414 erratum 7793 makes it REQUIRED only with such grants).
   */
  @Public()
  @Get(OAUTH_METADATA_PATH)
  @Header('Cache-Control', 'public, max-age=300')
  metadata() {
    const issuer = this.config.issuer;
    return {
      issuer,
      token_endpoint: tokenEndpointOf(issuer),
      jwks_uri: jwksUriOf(issuer),
      scopes_supported: [...SUPPORTED_SCOPES],
      grant_types_supported: [CLIENT_CREDENTIALS],
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: [...ALLOWED_ALGS],
    };
  }
}
