import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import { Permission } from './permissions';
import type { AuthenticatedPartner } from './authenticated-partner';

export const PERMISSIONS_KEY = 'rx:permissions';
export const PUBLIC_KEY = 'rx:public';
export const METRICS_TOKEN_KEY = 'rx:metrics-token';
export const PERMISSIONS_ANY_KEY = 'rx:permissions-any';

/** The operation needs every listed permission (in addition to a valid assertion). */
export const Permissions = (...permissions: Permission[]) => SetMetadata(PERMISSIONS_KEY, permissions);

/**
 * The operation needs ANY ONE of the listed permissions (an operation two kinds reach for different
 * reasons, e.g. `legalRequest`: its requester or a reviewer); the service then decides what each sees.
 */
export const AnyOfPermissions = (...permissions: Permission[]) => applyDecorators(SetMetadata(PERMISSIONS_KEY, permissions), SetMetadata(PERMISSIONS_ANY_KEY, true));

/** No assertion needed. Only /health and /.well-known/jwks.json are public. */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/** The route also accepts `Authorization: Bearer <METRICS_TOKEN>` when METRICS_TOKEN is set. */
export const MetricsTokenAccepted = () => SetMetadata(METRICS_TOKEN_KEY, true);

export function requestOf(context: ExecutionContext): RequestWithPartner {
  if (context.getType<string>() === 'graphql') {
    const gql = GqlExecutionContext.create(context).getContext<{ reply: { request: RequestWithPartner } }>();
    return gql.reply.request;
  }
  return context.switchToHttp().getRequest<RequestWithPartner>();
}

export interface RequestWithPartner {
  headers: Record<string, string | string[] | undefined>;
  partner?: AuthenticatedPartner;
  authentication?: Promise<AuthenticatedPartner>;
  operationName?: string;
}

/** The authenticated partner. Throws if the guard did not run: identity never comes from arguments. */
export const CurrentPartner = createParamDecorator((_: unknown, context: ExecutionContext): AuthenticatedPartner => {
  const partner = requestOf(context).partner;
  if (!partner) throw new Error('CurrentPartner used on a route the auth guard did not protect');
  return partner;
});
