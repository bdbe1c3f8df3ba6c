import { HttpException } from '@nestjs/common';
import { GraphQLError, type ExecutionResult, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { AppError, ErrorCode } from '../common/errors';

const HTTP_TO_CODE: Record<number, ErrorCode> = {
  400: ErrorCode.BAD_USER_INPUT,
  401: ErrorCode.UNAUTHENTICATED,
  403: ErrorCode.FORBIDDEN,
  404: ErrorCode.NOT_FOUND,
  409: ErrorCode.CONFLICT,
};

/**
 * Maps one error to what a partner sees. Our typed errors and GraphQL's own syntax/validation
 * errors keep their message; anything else becomes a bare INTERNAL_SERVER_ERROR, so no stack
 * trace, SQL or class name ever leaves the process.
 */
export function formatGraphQLError(error: GraphQLError, log?: Logger): GraphQLFormattedError {
  const original = error.originalError;
  const base = { locations: error.locations, path: error.path };
  if (original instanceof AppError) {
    return { ...base, message: original.message, extensions: { code: original.code, ...(original.details ?? {}) } };
  }
  if (original instanceof HttpException) {
    const code = HTTP_TO_CODE[original.getStatus()] ?? ErrorCode.INTERNAL_SERVER_ERROR;
    const message = code === ErrorCode.INTERNAL_SERVER_ERROR ? 'Internal server error' : original.message;
    return { ...base, message, extensions: { code } };
  }
  const transport = original as (Error & { statusCode?: unknown; code?: unknown }) | undefined;
  if (transport && typeof transport.statusCode === 'number' && transport.statusCode < 500 && /^(FST_|MER_)/.test(String(transport.code))) {
    // Fastify's and Mercurius' own request errors (a body that is not JSON, too large, ...).
    if (transport.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { message: 'the request body is larger than this route accepts (a full publishEvents batch as compact JSON)', extensions: { code: 'BODY_TOO_LARGE' } };
    return { message: transport.message, extensions: { code: 'BAD_REQUEST' } };
  }
  if (!original && typeof error.extensions?.code === 'string') {
    // Our own transport refusals (document too large, too many tokens, ...), made with their code.
    return { ...base, message: error.message, extensions: { code: error.extensions.code } };
  }
  if (!original || original instanceof GraphQLError) {
    // Parse and validation errors, and argument coercion errors: safe and useful to show. A value
    // our own scalar refused (wrapped by graphql-js) is bad input, not a bad document.
    const fromValidation = error.path === undefined && !appErrorIn(error);
    return { ...base, message: error.message, extensions: { code: fromValidation ? 'GRAPHQL_VALIDATION_FAILED' : ErrorCode.BAD_USER_INPUT } };
  }
  log?.error({ err: { type: original.name, message: original.message, stack: original.stack } }, 'unexpected error in a GraphQL operation');
  return { ...base, message: 'Internal server error', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
}

/** The AppError a scalar threw, under the GraphQLErrors graphql-js wraps it in while coercing a value. */
function appErrorIn(error: GraphQLError): AppError | undefined {
  let cause: unknown = error.originalError;
  for (let depth = 0; depth < 4 && cause instanceof Error; depth++) {
    if (cause instanceof AppError) return cause;
    cause = (cause as GraphQLError).originalError;
  }
  return undefined;
}

/** Mercurius errorFormatter; in production, validation messages lose their "Did you mean" suggestions. */
export function makeErrorFormatter(production: boolean) {
  return (execution: ExecutionResult & { errors: readonly GraphQLError[] }, context: { reply?: { log?: Logger } } | undefined) => {
    const formatted = mercuriusErrorFormatter(execution, context);
    if (production && formatted.response.errors) {
      for (const e of formatted.response.errors as unknown as Array<{ message: string }>) e.message = e.message.replace(/ Did you mean .*\?$/, '');
    }
    return formatted;
  };
}

/** Mercurius errorFormatter: formats every error; a document that did not execute answers 400. */
export function mercuriusErrorFormatter(
  execution: ExecutionResult & { errors: readonly GraphQLError[] },
  context: { reply?: { log?: Logger } } | undefined,
): { statusCode: number; response: ExecutionResult } {
  const log = context?.reply?.log;
  const errors = execution.errors.flatMap((e): GraphQLFormattedError[] => {
    // Mercurius wraps parse/validation/variable errors in one error that lists them.
    const inner = (e.originalError as { errors?: unknown } | undefined)?.errors;
    if (Array.isArray(inner) && inner.every((x) => x instanceof GraphQLError)) {
      // A value our own scalar refused (DateTime) keeps its code: it is bad input, not a bad document.
      return inner.map((x: GraphQLError) => ({ message: x.message, locations: x.locations, extensions: { code: appErrorIn(x)?.code ?? 'GRAPHQL_VALIDATION_FAILED' } }));
    }
    return [formatGraphQLError(e instanceof GraphQLError ? e : new GraphQLError(String(e)), log)];
  });
  const executed = 'data' in execution && execution.data !== undefined;
  const internal = errors.some((e) => e.extensions?.code === ErrorCode.INTERNAL_SERVER_ERROR);
  const limited = errors.some((e) => e.extensions?.code === ErrorCode.RATE_LIMITED);
  const tooLarge = errors.some((e) => e.extensions?.code === 'BODY_TOO_LARGE');
  return {
    statusCode: executed ? 200 : internal ? 500 : limited ? 429 : tooLarge ? 413 : 400,
    response: { data: executed ? execution.data : null, errors } as unknown as ExecutionResult,
  };
}
