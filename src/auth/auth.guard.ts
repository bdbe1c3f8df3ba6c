import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { FastifyReply } from 'fastify';
import { AppError, forbidden, unauthenticated } from '../common/errors';
import { ACCESS_TOKEN_ELSEWHERE, AuthService } from './auth.service';
import { authenticateBearerRoute, challengeOf } from './oauth/bearer-route';
import { SSF_SCOPES_KEY, SsfScope } from './ssf-scopes.decorator';
import { METRICS_TOKEN_KEY, PERMISSIONS_ANY_KEY, PERMISSIONS_KEY, PUBLIC_KEY, RequestWithPartner, requestOf } from './decorators';
import { APP_CONFIG, AppConfig } from '../config/config';
import { timingSafeEqual } from 'node:crypto';
import { kindHas, Permission } from './permissions';

/**
 * The one global guard. Deny by default: a handler without @Public() or @Permissions(...) is
 * refused even for an authenticated partner.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private hasMetricsToken(request: RequestWithPartner): boolean {
    const expected = this.config.metricsToken;
    const header = request.headers.authorization;
    if (!expected || typeof header !== 'string' || !header.startsWith('Bearer ')) return false;
    const given = Buffer.from(header.slice(7));
    const want = Buffer.from(expected);
    return given.length === want.length && timingSafeEqual(given, want);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const request = requestOf(context);
    if (this.reflector.getAllAndOverride<boolean>(METRICS_TOKEN_KEY, targets) && this.hasMetricsToken(request)) return true;
    if (context.getType<string>() === 'graphql') {
      request.operationName ??= GqlExecutionContext.create(context).getInfo().fieldName;
    }
    const scopes = this.reflector.getAllAndOverride<SsfScope[] | undefined>(SSF_SCOPES_KEY, targets);
    const partner = scopes && context.getType<string>() === 'http' ? await this.authenticateBearerRoute(context, scopes) : await this.auth.authenticateRequest(request);
    // Only a route marked @AcceptsAccessToken admits an access token (authentication refuses it elsewhere; this is the backstop).
    if (partner.scopes !== undefined && !scopes) throw unauthenticated(ACCESS_TOKEN_ELSEWHERE);
    const required = this.reflector.getAllAndOverride<Permission[] | undefined>(PERMISSIONS_KEY, targets);
    if (!required || required.length === 0) {
      throw forbidden('this operation declares no permission, so it is refused (deny by default)');
    }
    if (this.reflector.getAllAndOverride<boolean>(PERMISSIONS_ANY_KEY, targets)) {
      if (!required.some((p) => kindHas(partner.kind, p))) throw forbidden(`partners of kind ${partner.kind} lack the permission ${required.join(' or ')}`);
      return true;
    }
    const missing = required.filter((p) => !kindHas(partner.kind, p));
    if (missing.length > 0) {
      throw forbidden(`partners of kind ${partner.kind} lack the permission ${missing.join(', ')}`);
    }
    return true;
  }

  /** RFC 6750: a refusal carries its `WWW-Authenticate` challenge, whichever filter writes the body. */
  private async authenticateBearerRoute(context: ExecutionContext, scopes: SsfScope[]) {
    try {
      return await authenticateBearerRoute(this.auth, context.switchToHttp().getRequest(), scopes);
    } catch (e) {
      const challenge = e instanceof AppError ? challengeOf(e) : undefined;
      if (challenge) context.switchToHttp().getResponse<FastifyReply>().header('www-authenticate', challenge);
      throw e;
    }
  }
}
