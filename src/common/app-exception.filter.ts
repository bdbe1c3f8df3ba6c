import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { GqlArgumentsHost } from '@nestjs/graphql';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MUTATION_AUDIT_ACTIONS, mutationTarget } from '../audit/audit-failures';
import { AuditService } from '../audit/audit.service';
import type { RequestWithPartner } from '../auth/decorators';
import { isDatabaseUnavailable } from '../database/database-errors';
import { DatabaseHealth } from '../database/database-health';
import { AuditSpool } from '../resilience/audit-spool';
import { DATABASE_FAILED, databaseUnavailableMessage, sendUnavailable } from '../resilience/failure-answers';
import { loadResilienceConfig } from '../resilience/resilience.config';
import { AppError, ErrorCode, httpStatusOf } from './errors';

/**
 * The one exception filter. In GraphQL it records the failed outcome of a mutation in the audit
 * log (spooled to DATA_DIR when the database is down), then hands the error to the error
 * formatter (graphql-errors.ts); on REST routes it answers `{"error": code, "message": ...}` with
 * the matching status, and never a stack trace. An unreachable database becomes
 * DATABASE_UNAVAILABLE, answered 503 with Retry-After (resilience/failure-answers.ts).
 */
@Catch()
export class AppExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');
  private readonly retryAfter = loadResilienceConfig().unavailableRetryAfterSeconds;

  constructor(
    private readonly audit: AuditService,
    private readonly health: DatabaseHealth,
    private readonly spool: AuditSpool,
  ) {}

  catch(exception: unknown, host: ArgumentsHost) {
    if (isDatabaseUnavailable(exception)) this.health.markUnavailable(exception);
    if (host.getType<string>() === 'graphql') return this.recordFailedMutation(exception, GqlArgumentsHost.create(host));
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (isDatabaseUnavailable(exception)) {
      const request = host.switchToHttp().getRequest<FastifyRequest>();
      return sendUnavailable(request, reply, ErrorCode.DATABASE_UNAVAILABLE, databaseUnavailableMessage(this.retryAfter), this.retryAfter);
    }
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
    const request = host.getContext<{ reply?: { request?: RequestWithPartner } }>()?.reply?.request;
    const partner = request?.partner;
    if (isDatabaseUnavailable(exception)) {
      if (request) (request as unknown as Record<symbol, unknown>)[DATABASE_FAILED] = true; // the answer becomes a 503
      exception = new AppError(ErrorCode.DATABASE_UNAVAILABLE, databaseUnavailableMessage(this.retryAfter), { retryAfter: this.retryAfter });
    }
    if (action && partner) {
      const code = exception instanceof AppError ? exception.code : ErrorCode.INTERNAL_SERVER_ERROR;
      const message = exception instanceof AppError ? exception.message : 'internal error';
      const entry = { actor: partner.id, action, target: mutationTarget(host.getArgs()), details: { outcome: 'error', code, message }, concerns: [partner.id] };
      await this.audit.record(entry).catch((e: Error) => {
        // During an outage the entry waits in DATA_DIR and is appended when the database is back.
        if (isDatabaseUnavailable(e)) return this.spool.add(entry);
        this.logger.error(`could not audit a failed ${info.fieldName}: ${e.message}`);
      });
    }
    return exception;
  }
}
