import { GraphQLError } from 'graphql';
import { AppError, ErrorCode } from '../common/errors';
import { formatGraphQLError, makeErrorFormatter } from './graphql-errors';

describe('GraphQL error formatting', () => {
  it('never passes on stack traces, SQL or class names of unexpected errors', () => {
    const original = new TypeError('relation "partner_secret" does not exist: SELECT * FROM partner_secret');
    const formatted = formatGraphQLError(new GraphQLError(original.message, { originalError: original, path: ['me'] }));
    expect(formatted).toEqual({ message: 'Internal server error', path: ['me'], extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(JSON.stringify(formatted)).not.toMatch(/SELECT|TypeError|partner_secret|at /);
  });

  it('keeps typed errors with their code and details', () => {
    const e = new AppError(ErrorCode.RATE_LIMITED, 'budget spent', { retryAfter: 12 });
    expect(formatGraphQLError(new GraphQLError(e.message, { originalError: e }))).toMatchObject({ message: 'budget spent', extensions: { code: 'RATE_LIMITED', retryAfter: 12 } });
  });

  it('answers 429 for a rate-limited document and strips suggestions in production', () => {
    const limited = new AppError(ErrorCode.RATE_LIMITED, 'spent');
    expect(makeErrorFormatter(false)({ errors: [new GraphQLError('spent', { originalError: limited })] }, undefined).statusCode).toBe(429);
    const typo = new GraphQLError('Cannot query field "idd" on type "Partner". Did you mean "id"?');
    const prod = makeErrorFormatter(true)({ errors: [typo] }, undefined).response.errors as unknown as Array<{ message: string }>;
    expect(prod[0].message).toBe('Cannot query field "idd" on type "Partner".');
    const dev = makeErrorFormatter(false)({ errors: [typo] }, undefined).response.errors as unknown as Array<{ message: string }>;
    expect(dev[0].message).toMatch(/Did you mean/);
  });

  it('answers 413 BODY_TOO_LARGE for a body over the route limit, and keeps a transport refusal\'s own code', () => {
    const tooLarge = Object.assign(new Error('Request body is too large'), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
    const formatted = makeErrorFormatter(false)({ errors: [new GraphQLError(tooLarge.message, { originalError: tooLarge })] }, undefined);
    expect(formatted.statusCode).toBe(413);
    expect(formatted.response.errors![0]).toMatchObject({ extensions: { code: 'BODY_TOO_LARGE' } });
    const refusal = new GraphQLError('the query text has more than 3000 tokens', { extensions: { code: 'TOO_MANY_TOKENS' } });
    expect(formatGraphQLError(refusal)).toMatchObject({ message: 'the query text has more than 3000 tokens', extensions: { code: 'TOO_MANY_TOKENS' } });
    expect(formatGraphQLError(new GraphQLError('Syntax Error: x'))).toMatchObject({ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
  });
});
