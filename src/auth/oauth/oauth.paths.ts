// Where the OAuth pieces live and what they are called. Pure; no Nest import.

export const OAUTH_TOKEN_PATH = '/oauth/token';
export const OAUTH_METADATA_PATH = '/.well-known/oauth-authorization-server';
export const JWKS_PATH = '/.well-known/jwks.json';

/** RFC 7523 section 2.2: the one client assertion type the token endpoint takes. */
export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const CLIENT_CREDENTIALS = 'client_credentials';

/** The realm of every `WWW-Authenticate: Bearer` challenge (RFC 6750 section 3). */
export const BEARER_REALM = 'risk-exchange';

const base = (issuer: string) => issuer.replace(/\/+$/, '');

/** The token endpoint URL, under the gateway issuer (as the SSF metadata's endpoints are). */
export const tokenEndpointOf = (issuer: string) => `${base(issuer)}${OAUTH_TOKEN_PATH}`;
export const jwksUriOf = (issuer: string) => `${base(issuer)}${JWKS_PATH}`;

/**
 * The resource indicator of the SSF endpoints (RFC 8707): the `aud` of every access token. The
 * gateway is both the authorization server and the only resource server, so it is the issuer.
 */
export const resourceOf = (issuer: string) => issuer;
