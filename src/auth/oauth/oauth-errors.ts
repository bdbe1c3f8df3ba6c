// RFC 6749 section 5.2 error answers of the token endpoint. Pure; no Nest import.

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'temporarily_unavailable'
  | 'server_error';

/**
 * A refusal of the token endpoint: `{error, error_description}` with `status`. `rule` names the
 * failed check for the log and the `auth.failure` audit entries (never sent, never a secret).
 */
export class OAuthError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    readonly status = 400,
    readonly rule: string = error,
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
    this.name = 'OAuthError';
  }

  body(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.error, error_description: this.description };
  }
}

/** A header parameter value of an auth challenge (RFC 9110 quoted-string; we keep it to printable ASCII without quotes). */
export function quoted(value: string): string {
  return `"${value.replace(/[^\x20-\x7e]|["\\]/g, "'")}"`;
}
