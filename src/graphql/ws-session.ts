import type { FastifyRequest } from 'fastify';
import { decodeJwt } from 'jose';
import type { Logger } from 'pino';
import type { AuthService } from '../auth/auth.service';
import type { AuthenticatedPartner } from '../auth/authenticated-partner';
import type { RequestWithPartner } from '../auth/decorators';
import { AppError, unauthenticated } from '../common/errors';

/** WebSocket close code for a session that is no longer authenticated (graphql-ws uses 44xx for its own). */
export const WS_UNAUTHENTICATED = 4401;

/**
 * The authentication of one GraphQL WebSocket: the assertion it currently holds (first the
 * upgrade's `Authorization`, then any renewal), checked on every operation and on its own every
 * `checkMs`, so a socket that only receives (a subscription) is closed when its partner is
 * suspended, its key revoked, or its assertion expires without renewal.
 */
export class WsSession {
  private header: string | undefined;
  private partnerId: string | undefined;
  private expiresAt = Infinity;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly auth: AuthService,
    private readonly checkMs: number,
    private readonly request: FastifyRequest,
    private readonly close: (code: number, reason: string) => void,
    private readonly logger: Logger,
  ) {
    const given = request.headers.authorization;
    this.header = typeof given === 'string' ? given : undefined;
    this.partnerId = (request as unknown as RequestWithPartner).partner?.id;
    this.expiresAt = expiryOf(this.header);
  }

  /** Starts the periodic check (after connection_init). */
  start(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => void this.check(), this.checkMs);
    this.timer.unref();
  }

  stop(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Authenticates the current assertion now and hands the result to the guard (throws AppError). */
  async authenticate(): Promise<AuthenticatedPartner> {
    if (Date.now() >= this.expiresAt) throw unauthenticated('authentication failed (exp): the assertion of this socket has expired; renew it with a ping carrying a fresh one, or reconnect');
    const partner = await this.auth.authenticateHeader(this.header);
    const r = this.request as unknown as RequestWithPartner;
    r.partner = partner;
    r.authentication = Promise.resolve(partner);
    return partner;
  }

  /**
   * Takes a renewed assertion (`"Bearer <assertion>"`): it must verify and name the socket's partner.
   * A bad one closes the socket (answers false).
   */
  async renew(value: unknown): Promise<boolean> {
    if (typeof value !== 'string') return this.end('a renewal must be "Bearer <assertion>"');
    try {
      const partner = await this.auth.authenticateHeader(value);
      if (this.partnerId !== undefined && partner.id !== this.partnerId) return this.end('a renewal must be for the same partner');
      this.header = value;
      this.partnerId = partner.id;
      this.expiresAt = expiryOf(value);
      this.request.headers.authorization = value;
      return true;
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
      return this.end('the renewed assertion was refused: reconnect with a fresh one');
    }
  }

  private async check(): Promise<void> {
    if (this.closed) return;
    try {
      await this.authenticate();
    } catch (e) {
      if (e instanceof AppError) this.end(e.message);
      else this.logger.error({ err: { type: (e as Error).name, message: (e as Error).message } }, 'WebSocket session check failed');
    }
  }

  private end(reason: string): false {
    this.stop();
    // A close reason is at most 123 bytes.
    this.close(WS_UNAUTHENTICATED, Buffer.from(reason).subarray(0, 123).toString().replace(/\uFFFD+$/, ''));
    return false;
  }
}

/** The assertion's `exp` in ms (it verified before it gets here; an undecodable one has no expiry of its own). */
function expiryOf(header: string | undefined): number {
  if (!header?.startsWith('Bearer ')) return Infinity;
  try {
    const exp = decodeJwt(header.slice(7)).exp;
    return typeof exp === 'number' ? exp * 1000 : Infinity;
  } catch {
    return Infinity;
  }
}
