import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { GraphQLError } from 'graphql';
import { formatGraphQLError } from '../../graphql/graphql-errors';

/**
 * A subscription that cannot start (the guard refused it, the stream is not the caller's, too many
 * waiters) is answered by Mercurius' own `error` message, which skips the error formatter: this
 * formats the error here, so it carries `extensions.code` like every other error.
 */
@Catch()
export class SubscriptionErrorFilter implements ExceptionFilter {
  catch(exception: unknown) {
    const formatted = formatGraphQLError(exception instanceof GraphQLError ? exception : new GraphQLError((exception as Error)?.message ?? 'error', { originalError: exception as Error }));
    return new GraphQLError(formatted.message, { extensions: formatted.extensions });
  }
}
