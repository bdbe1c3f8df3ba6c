// The stored issuer of the gateway's own events (README "The gateway's own events"). A file of its
// own with no import, so pure modules (the score's evaluation query, the notice payload) can use it.

/**
 * Not a valid partner id (partner ids start with a letter or digit), so no partner can be
 * registered as it or publish as it; every read that would look the issuer up among partners
 * treats it as the gateway instead.
 */
export const GATEWAY_ISSUER_ID = '@gateway';

/** Whether an issuer is the gateway itself (not a partner). */
export const isGatewayIssuer = (issuer: string) => issuer === GATEWAY_ISSUER_ID;
