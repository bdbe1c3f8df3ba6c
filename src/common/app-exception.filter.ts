import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { GqlArgumentsHost } from '@nestjs/graphql';
import type { FastifyReply } from 'fastify';
import { MUTATION_AUDIT_ACTIONS, mutationTarget } from '../audit/audit-failures';
import { AuditService } from '../audit/audit.service';
import type { RequestWithPartner } from '../auth/decorators';
import { AppError, ErrorCode, httpStatusOf } from './errors';

/**
 * The one exception filter. In GraphQL it records the failed outcome of a mutation in the audit
 * log, then hands the error to the error formatter (graphql-errors.ts); on REST routes it answers
 * `{"error": code, "message": ...}` with the matching status, and never a stack trace.
 */
@Catch()
export class AppExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(private readonly audit: AuditService) {}

  catch(exception: unknown, host: ArgumentsHost) {
    if (host.getType<string>() === 'graphql') return this.recordFailedMutation(exception, GqlArgumentsHost.create(host));
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (exception instanceof AppError) {
      return reply.code(httpStatusOf(exception.code)).send({ error: exception.code, message: exception.message });
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      return reply.code(status).send(typeof body === 'object' ? body : { error: status, message: String(body) });
    }
    this.logger.error(`unexpected error: ${(exception as Error)?.stack ?? String(exception)}`);
    return reply.code(500).send({ error: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' });
  }

  /** Resolves to the exception (GraphQL reports a returned Error as the field's error). */
  private async recordFailedMutation(exception: unknown, host: GqlArgumentsHost): Promise<unknown> {
    const info = host.getInfo<{ parentType?: { name: string }; fieldName: string }>();
    const action = info?.parentType?.name === 'Mutation' ? MUTATION_AUDIT_ACTIONS[info.fieldName] : undefined;
    const partner = host.getContext<{ reply?: { request?: RequestWithPartner } }>()?.reply?.request?.partner;
    if (action && partner) {
      const code = exception instanceof AppError ? exception.code : ErrorCode.INTERNAL_SERVER_ERROR;
      const message = exception instanceof AppError ? exception.message : 'internal error';
      await this.audit
        .record({ actor: partner.id, action, target: mutationTarget(host.getArgs()), details: { outcome: 'error', code, message }, concerns: [partner.id] })
        .catch((e: Error) => this.logger.error(`could not audit a failed ${info.fieldName}: ${e.message}`));
    }
    return exception;
  }
}
