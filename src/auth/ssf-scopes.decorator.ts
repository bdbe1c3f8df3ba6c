import { SetMetadata } from '@nestjs/common';

/** OAuth scopes of the SSF endpoints (RFC 9068 access tokens from the gateway's token endpoint). */
export enum SsfScope {
  Read = 'ssf.read',
  Manage = 'ssf.manage',
}

export const SSF_SCOPES_KEY = 'rx:ssf-scopes';

/**
 * The route also accepts a gateway-issued OAuth access token carrying every listed scope, besides
 * the partner assertion (which grants the partner kind's permissions as everywhere else).
 */
export const AcceptsAccessToken = (...scopes: SsfScope[]) => SetMetadata(SSF_SCOPES_KEY, scopes);
