import { assertUnreachable, ErrorCode } from '../common/errors';

/**
 * The error body of `POST /events` (RFC 8935 section 2.3): `{"err": code, "description": text}`.
 * Every answer of that route that is not 202 has this shape, whoever refuses the request
 * (authentication, the body limit, the media type, the rate budget, the permission, the verifier).
 */
export interface SetPushErrorBody {
  err: string;
  description: string;
}

export const setPushError = (err: string, description: string): SetPushErrorBody => ({ err, description });

/**
 * RFC 8935's codes where one fits; `rate_limited`, `temporarily_unavailable` and `internal_error` are ours (the RFC lets a
 * receiver define more) and are documented in the README.
 */
export function setPushErrCode(code: ErrorCode): string {
  switch (code) {
    case ErrorCode.UNAUTHENTICATED:
      return 'authentication_failed';
    case ErrorCode.FORBIDDEN:
    case ErrorCode.CONTRIBUTION_REQUIRED:
      return 'access_denied';
    case ErrorCode.RATE_LIMITED:
      return 'rate_limited';
    case ErrorCode.BAD_USER_INPUT:
    case ErrorCode.NOT_FOUND:
    case ErrorCode.CONFLICT:
    case ErrorCode.QUERY_TOO_COMPLEX:
      return 'invalid_request';
    case ErrorCode.OVERLOADED:
    case ErrorCode.DATABASE_UNAVAILABLE:
      return 'temporarily_unavailable';
    case ErrorCode.INTERNAL_SERVER_ERROR:
      return 'internal_error';
    default:
      return assertUnreachable(code);
  }
}
