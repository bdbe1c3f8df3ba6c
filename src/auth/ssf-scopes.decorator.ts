import { SetMetadata } from '@nestjs/common';

/** OAuth scopes of the SSF endpoints (RFC 9068 access tokens from the gateway's token endpoint). */
export enum SsfScope {
  Read = 'ssf.read',
  Manage = 'ssf.manage',
}

export const SSF_SCOPES_KEY = 'rx:ssf-scopes';

/**
 * Where @nestjs/platform-fastify reads a handler's Fastify route config (`@RouteConfig()`; the
 * constant is not exported). ssf-scopes.decorator.spec.ts checks it against `RouteConfig` itself.
 */
export const FASTIFY_ROUTE_CONFIG_KEY = '__fastify_route_config__';

/** The Fastify route config of a route that accepts access tokens: read before the body is (http/authenticate-before-body.ts). */
export interface SsfRouteConfig {
  ssfScopes?: SsfScope[];
}

function markRoute(handler: object, scopes: SsfScope[]): void {
  const config = (Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_KEY, handler) as Record<string, unknown> | undefined) ?? {};
  Reflect.defineMetadata(FASTIFY_ROUTE_CONFIG_KEY, { ...config, ssfScopes: scopes }, handler);
}

/**
 * The route also accepts a gateway-issued OAuth access token carrying every listed scope, besides
 * the partner assertion (which grants the partner kind's permissions as everywhere else).
 * On a method or on a controller (then on each of its methods that does not say otherwise). Besides
 * the Nest metadata the guard reads, it marks the Fastify route config, so that authentication
 * before the body is read knows the route takes access tokens. Put it above any @RouteConfig()
 * of the same method (decorators apply bottom-up and RouteConfig replaces the whole config).
 */
export const AcceptsAccessToken =
  (...scopes: SsfScope[]) =>
  (target: object, key?: string | symbol, descriptor?: PropertyDescriptor): void => {
    if (descriptor) {
      SetMetadata(SSF_SCOPES_KEY, scopes)(target, key as string | symbol, descriptor);
      markRoute(descriptor.value as object, scopes);
      return;
    }
    SetMetadata(SSF_SCOPES_KEY, scopes)(target as never);
    const prototype = (target as { prototype: object }).prototype;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const method = Object.getOwnPropertyDescriptor(prototype, name)?.value as object | undefined;
      if (name === 'constructor' || typeof method !== 'function') continue;
      if (Reflect.getMetadata(SSF_SCOPES_KEY, method) === undefined) markRoute(method, scopes);
    }
  };
