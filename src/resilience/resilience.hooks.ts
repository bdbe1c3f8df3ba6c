import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Gauge } from 'prom-client';
import { AuthService } from '../auth/auth.service';
import { OAUTH_TOKEN_PATH } from '../auth/oauth/oauth.paths';
import type { RequestWithPartner } from '../auth/decorators';
import { ErrorCode } from '../common/errors';
import { DatabaseHealth } from '../database/database-health';
import { MetricsService } from '../observability/metrics';
import { Admission, requestCost, Ticket } from './admission';
import { DATABASE_FAILED, databaseUnavailableMessage, sendUnavailable, unavailableBody } from './failure-answers';
import { PressureMonitor } from './pressure';
import { loadResilienceConfig, ResilienceConfig } from './resilience.config';

/** A ticket whose client left before its answer is returned after this long at the latest (a leak guard). */
const ABANDONED_TICKET_MS = 30_000;

/**
 * Load shedding and outage answers for the surfaces that do work (POST /graphql, POST /events):
 * - admission: a bound on the cost in flight per partner and in total; over it, 503 OVERLOADED at
 *   once, before the body is read, so memory stays bounded;
 * - pressure: event-loop lag or heap over their limits shed new work the same way;
 * - a request whose client has gone by the time its body is read is not run;
 * - while the database is down, 503 DATABASE_UNAVAILABLE with Retry-After in the surface's shape,
 *   also for a 500 that turns out to come from an outage.
 * /health, /metrics and /.well-known/jwks.json are never shed.
 */
export function installResilience(app: NestFastifyApplication, settings: ResilienceConfig = loadResilienceConfig()): void {
  const fastify = app.getHttpAdapter().getInstance();
  const health = app.get(DatabaseHealth);
  const auth = app.get(AuthService);
  const registry = app.get(MetricsService).registry;
  const admission = new Admission(settings);
  const pressure = new PressureMonitor(settings);
  const tickets = new WeakMap<FastifyRequest, Ticket>();
  const shed = new Counter({ name: 'rx_shed_total', help: 'Requests answered 503 at once, by reason.', labelNames: ['reason'] as const, registers: [registry] });
  new Gauge({ name: 'rx_inflight_cost', help: 'Cost of the admitted requests still in flight.', registers: [registry], collect() { this.set(admission.inflightCost); } });
  new Gauge({ name: 'rx_event_loop_lag_seconds', help: 'Event-loop lag of the last judged window: the time-weighted median delay of the loop timer (load shedding judges it).', registers: [registry], collect() { this.set(pressure.lastLagMs / 1000); } });
  fastify.addHook('onListen', async () => pressure.start());
  fastify.addHook('onClose', async () => pressure.stop());

  const guarded = (request: FastifyRequest) => request.method === 'POST' && (request.routeOptions?.url === '/graphql' || request.routeOptions?.url === '/events' || request.routeOptions?.url === OAUTH_TOKEN_PATH);
  const release = (request: FastifyRequest) => tickets.get(request)?.release();
  const overloaded = (request: FastifyRequest, reply: FastifyReply, reason: string, label: string) => {
    shed.inc({ reason: label });
    return sendUnavailable(request, reply, ErrorCode.OVERLOADED, `the gateway is overloaded (${reason}); nothing was done. Retry after ${settings.overloadRetryAfterSeconds} s`, settings.overloadRetryAfterSeconds);
  };

  // Registered before authentication: refusing here costs no signature check.
  fastify.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (!guarded(request)) return;
    if (!health.available) {
      shed.inc({ reason: 'database' });
      return sendUnavailable(request, reply, ErrorCode.DATABASE_UNAVAILABLE, databaseUnavailableMessage(settings.unavailableRetryAfterSeconds), settings.unavailableRetryAfterSeconds);
    }
    if (pressure.reason) return overloaded(request, reply, pressure.reason, 'pressure');
    if (admission.inflightCost >= settings.maxInflightCost) return overloaded(request, reply, `the gateway has ${admission.inflightCost} of its ${settings.maxInflightCost} units of work in flight`, 'admission');
  });

  // After authentication (every onRequest hook), before the body is read: admission by partner.
  fastify.addHook('preParsing', async (request: FastifyRequest, reply: FastifyReply) => {
    if (!guarded(request)) return;
    const withPartner = request as unknown as RequestWithPartner;
    // The token endpoint's client is in the body: its requests share the unauthenticated bucket.
    if (!withPartner.partner && request.routeOptions?.url !== OAUTH_TOKEN_PATH) {
      // POST /events is authenticated by the guard later; the memoised result is shared with it.
      await auth.authenticateRequest(withPartner).catch(() => undefined);
    }
    const partner = withPartner.partner?.id ?? '(unauthenticated)';
    const admitted = admission.tryAdmit(partner, requestCost(request.headers['content-length'], settings.maxInflightCostPerPartner));
    if (!admitted.ok) return overloaded(request, reply, admitted.reason, 'admission');
    tickets.set(request, admitted.ticket);
    reply.raw.once('close', () => {
      if (!reply.sent) setTimeout(() => admitted.ticket.release(), ABANDONED_TICKET_MS).unref();
    });
  });

  // The body is read; if the client has gone meanwhile, do not start the work (nothing is stored yet).
  fastify.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    if (!guarded(request) || !request.raw.socket?.destroyed) return;
    shed.inc({ reason: 'client_gone' });
    release(request);
    return reply.code(499).send();
  });

  fastify.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    release(request);
    const route = request.routeOptions?.url;
    if (reply.statusCode === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', String(settings.unavailableRetryAfterSeconds));
    if (!guarded(request) || reply.statusCode === 503) return payload;
    const failed = (request as unknown as Record<symbol, unknown>)[DATABASE_FAILED] === true;
    if (!failed && reply.statusCode < 500) return payload;
    // A 500 is an outage's when the database was away during the request or is away now.
    const started = Date.now() - reply.elapsedTime;
    if (!failed && !health.unavailableSince(started) && (await health.check())) return payload;
    const retryAfter = settings.unavailableRetryAfterSeconds;
    reply.code(503).header('retry-after', String(retryAfter)).header('content-type', 'application/json; charset=utf-8');
    return JSON.stringify(unavailableBody(route, ErrorCode.DATABASE_UNAVAILABLE, databaseUnavailableMessage(retryAfter), retryAfter));
  });

  fastify.addHook('onResponse', async (request: FastifyRequest) => release(request));
}
