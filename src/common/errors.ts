/**
 * Typed errors. Each domain throws an AppError with one of these codes; one formatter
 * (graphql-errors.ts) maps them to GraphQL `extensions.code`, and REST routes map them to
 * HTTP statuses. Anything else is reported as INTERNAL_SERVER_ERROR without details.
 */
export enum ErrorCode {
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  NOT_FOUND = 'NOT_FOUND',
  CONFLICT = 'CONFLICT',
  /** The query-cost budget of the minute is spent; `retryAfter` says when to come back. */
  RATE_LIMITED = 'RATE_LIMITED',
  /** One document costs more than GRAPHQL_MAX_COST. */
  QUERY_TOO_COMPLEX = 'QUERY_TOO_COMPLEX',
  /** Give-to-get: publish before reading others' data. */
  CONTRIBUTION_REQUIRED = 'CONTRIBUTION_REQUIRED',
  INTERNAL_SERVER_ERROR = 'INTERNAL_SERVER_ERROR',
  /** Too much work in flight (for this partner or in total): HTTP 503, `retryAfter` says when to retry. */
  OVERLOADED = 'OVERLOADED',
  /** The database does not answer: HTTP 503, `retryAfter` says when to retry; nothing was stored. */
  DATABASE_UNAVAILABLE = 'DATABASE_UNAVAILABLE',
}

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const unauthenticated = (message: string) => new AppError(ErrorCode.UNAUTHENTICATED, message);
export const forbidden = (message: string) => new AppError(ErrorCode.FORBIDDEN, message);
export const badInput = (message: string, details?: Record<string, unknown>) =>
  new AppError(ErrorCode.BAD_USER_INPUT, message, details);
export const notFound = (message: string) => new AppError(ErrorCode.NOT_FOUND, message);
export const conflict = (message: string) => new AppError(ErrorCode.CONFLICT, message);

export function assertUnreachable(value: never): never {
  throw new Error(`unreachable: ${String(value)}`);
}

export function httpStatusOf(code: ErrorCode): number {
  switch (code) {
    case ErrorCode.UNAUTHENTICATED:
      return 401;
    case ErrorCode.FORBIDDEN:
      return 403;
    case ErrorCode.BAD_USER_INPUT:
      return 400;
    case ErrorCode.NOT_FOUND:
      return 404;
    case ErrorCode.CONFLICT:
      return 409;
    case ErrorCode.RATE_LIMITED:
      return 429;
    case ErrorCode.QUERY_TOO_COMPLEX:
      return 400;
    case ErrorCode.CONTRIBUTION_REQUIRED:
      return 403;
    case ErrorCode.INTERNAL_SERVER_ERROR:
      return 500;
    case ErrorCode.OVERLOADED:
    case ErrorCode.DATABASE_UNAVAILABLE:
      return 503;
    default:
      return assertUnreachable(code);
  }
}
