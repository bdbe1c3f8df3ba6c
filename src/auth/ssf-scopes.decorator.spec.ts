import { RouteConfig } from '@nestjs/platform-fastify';
import { AcceptsAccessToken, FASTIFY_ROUTE_CONFIG_KEY, SSF_SCOPES_KEY, SsfScope } from './ssf-scopes.decorator';

describe('@AcceptsAccessToken', () => {
  it('uses the metadata key @nestjs/platform-fastify reads the route config from', () => {
    class C {
      @RouteConfig({ probe: 1 })
      m() {}
    }
    expect(Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_KEY, C.prototype.m)).toEqual({ probe: 1 });
  });

  it('on a method: marks the guard metadata and the route config, keeping other config', () => {
    class C {
      @AcceptsAccessToken(SsfScope.Manage)
      @RouteConfig({ other: true })
      m() {}
    }
    expect(Reflect.getMetadata(SSF_SCOPES_KEY, C.prototype.m)).toEqual([SsfScope.Manage]);
    expect(Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_KEY, C.prototype.m)).toEqual({ other: true, ssfScopes: [SsfScope.Manage] });
  });

  it('on a class: marks every method without its own scopes', () => {
    @AcceptsAccessToken(SsfScope.Read)
    class C {
      a() {}
      @AcceptsAccessToken(SsfScope.Manage)
      b() {}
    }
    expect(Reflect.getMetadata(SSF_SCOPES_KEY, C)).toEqual([SsfScope.Read]);
    expect(Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_KEY, C.prototype.a)).toEqual({ ssfScopes: [SsfScope.Read] });
    expect(Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_KEY, C.prototype.b)).toEqual({ ssfScopes: [SsfScope.Manage] });
  });
});
