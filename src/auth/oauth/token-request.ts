// The parameters of a token request (RFC 6749 sections 3.2, 4.4.2; RFC 7523 section 2.2; RFC 8707).
// Pure; no Nest import. Everything that can be refused without looking at a key is refused here.
import { SsfScope } from '../ssf-scopes.decorator';
import { OAuthError } from './oauth-errors';
import { CLIENT_CREDENTIALS, JWT_BEARER_ASSERTION_TYPE } from './oauth.paths';

export const SUPPORTED_SCOPES: readonly SsfScope[] = [SsfScope.Read, SsfScope.Manage];
const MAX_PARAM_CHARS = 8 * 1024;

export interface TokenRequest {
  clientId?: string;
  clientAssertion: string;
  scopes: SsfScope[];
}

/**
 * The requested scopes, in the order of SUPPORTED_SCOPES. A request without `scope` is refused
 * (RFC 6749 section 3.3 lets the server either apply a default or fail): a receiver always says
 * what it needs, and a token never carries `ssf.manage` that nobody asked for.
 */
export function parseScope(raw: string | undefined): SsfScope[] {
  const list = `send scope with one or more of: ${SUPPORTED_SCOPES.join(', ')} (space-separated)`;
  if (raw === undefined || raw.trim() === '') throw new OAuthError('invalid_scope', `scope is required: ${list}`);
  const asked = raw.split(' ').filter((s) => s !== '');
  const unknown = asked.filter((s) => !(SUPPORTED_SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0) throw new OAuthError('invalid_scope', `unknown scope ${unknown.map((s) => JSON.stringify(s.slice(0, 40))).join(', ')}: ${list}`);
  return SUPPORTED_SCOPES.filter((s) => asked.includes(s));
}

/**
 * Reads the form parameters (already decoded by the urlencoded parser; a repeated parameter
 * arrives as an array). The checks follow RFC 6749's order of concerns: a malformed request, an
 * unsupported grant, then how the client authenticates, then the scope and resource.
 */
export function parseTokenRequest(body: unknown, resource: string): TokenRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new OAuthError('invalid_request', 'send the parameters in the body as application/x-www-form-urlencoded');
  }
  const params = body as Record<string, unknown>;
  for (const [name, value] of Object.entries(params)) {
    if (Array.isArray(value)) throw new OAuthError('invalid_request', `parameter "${name.slice(0, 40)}" is repeated (RFC 6749 section 3.2: each parameter at most once)`);
    if (typeof value !== 'string' || value.length > MAX_PARAM_CHARS) throw new OAuthError('invalid_request', `parameter "${name.slice(0, 40)}" must be a string of at most ${MAX_PARAM_CHARS} characters`);
  }
  const p = params as Record<string, string | undefined>;
  if (p.grant_type === undefined || p.grant_type === '') throw new OAuthError('invalid_request', `grant_type is required (${CLIENT_CREDENTIALS})`);
  if (p.grant_type !== CLIENT_CREDENTIALS) {
    throw new OAuthError('unsupported_grant_type', `grant_type "${p.grant_type.slice(0, 80)}" is not supported: this token endpoint issues tokens for ${CLIENT_CREDENTIALS} only`);
  }
  if (p.client_secret !== undefined) {
    throw new OAuthError('invalid_client', 'client_secret is not accepted: authenticate with private_key_jwt (client_assertion_type and client_assertion, RFC 7523)', 400, 'client-secret');
  }
  if (p.client_assertion_type === undefined && p.client_assertion === undefined) {
    throw new OAuthError('invalid_client', `no client authentication: send client_assertion_type=${JWT_BEARER_ASSERTION_TYPE} and client_assertion (a JWT signed by one of your registered keys)`, 400, 'no-client-auth');
  }
  if (p.client_assertion_type !== JWT_BEARER_ASSERTION_TYPE) {
    throw new OAuthError('invalid_client', `client_assertion_type must be ${JWT_BEARER_ASSERTION_TYPE}`, 400, 'assertion-type');
  }
  if (p.client_assertion === undefined || p.client_assertion === '') {
    throw new OAuthError('invalid_client', 'client_assertion is required: a JWT signed by one of your registered keys (RFC 7523 section 2.2)', 400, 'no-client-auth');
  }
  const scopes = parseScope(p.scope);
  // RFC 8707: the only resource is the gateway itself.
  if (p.resource !== undefined && p.resource !== resource) {
    throw new OAuthError('invalid_target', `resource must be "${resource}" (the gateway), or left out`);
  }
  return { clientId: p.client_id, clientAssertion: p.client_assertion, scopes };
}
