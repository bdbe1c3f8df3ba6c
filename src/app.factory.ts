import type { DynamicModule, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { AppModule } from './app.module';
import { AuthService } from './auth/auth.service';
import { RequestWithPartner } from './auth/decorators';
import { AppError } from './common/errors';
import { AppConfig } from './config/config';
import { createLogger, NestPinoLogger } from './observability/logger';
import { MetricsService } from './observability/metrics';
import { textLimitError } from './graphql/limits';
import { webSocketGate } from './graphql/websocket-gate';
import { setPushRoute } from './events/set-push.route';
import { ssfRoutes } from './delivery/streams/ssf.route';
import { authenticateBeforeBody } from './http/authenticate-before-body';
import { PushTokensService } from './events/inbound/push-tokens.service';
import { DEFAULT_BODY_LIMIT, graphqlBodyLimit, SET_PUSH_BODY_LIMIT } from './http/body-limits';
import { announcesBody } from './http/requests';
import { RateLimiterService } from './ratelimit/rate-limiter.service';
import { installResilience } from './resilience/resilience.hooks';
import { installManagement } from './observability/management';
import { oauthTokenRoute } from './auth/oauth/token-route';
import { pollRoute } from './delivery/poll/poll.route';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Builds the gateway: Fastify with one JSON logger, the GraphQL transport rules, authentication
 * of every GraphQL request, and metrics. main.ts and every end-to-end test use this.
 */
export async function createApp(config: AppConfig, logger: Logger = createLogger(config.logLevel), extraImports: Array<Type | DynamicModule> = []): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    // Each route that takes a body has its own limit (http/body-limits.ts); this is for the rest.
    bodyLimit: DEFAULT_BODY_LIMIT,
    forceCloseConnections: true,
    requestIdHeader: false,
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, extraImports), adapter, {
    logger: new NestPinoLogger(logger),
    bufferLogs: false,
    abortOnError: false, // a failed start (e.g. DATA_DIR locked) reaches main.ts, which says why on stderr
  });
  const fastify = app.getHttpAdapter().getInstance();
  // Load shedding and outage answers (resilience/resilience.hooks.ts): before authentication, so a refusal is cheap.
  installResilience(app);
  // /health and /metrics on MANAGEMENT_PORT from a thread of their own (observability/management.ts).
  installManagement(app, config, logger);
  // RFC 8935 push: the body is one compact SET (16 KiB at most, plus slack for a line break).
  fastify.addContentTypeParser('application/secevent+jwt', { parseAs: 'string', bodyLimit: SET_PUSH_BODY_LIMIT }, (_req, body, done) => done(null, body));
  const auth = app.get(AuthService);
  const metrics = app.get(MetricsService);

  // Routes are registered by app.init() below, so these onRoute hooks see every one of them.
  const maxGraphqlBody = graphqlBodyLimit(config.publishMaxBatch);
  fastify.addHook('onRoute', (route) => {
    if (route.url === '/graphql' && route.method === 'POST') route.bodyLimit = maxGraphqlBody;
  });
  fastify.addHook('onRoute', setPushRoute(app.get(RateLimiterService)));
  fastify.addHook('onRoute', oauthTokenRoute());
  fastify.addHook('onRoute', ssfRoutes());
  fastify.addHook('onRoute', pollRoute);
  fastify.addHook('onRoute', webSocketGate(fastify, config, auth, app.get(RateLimiterService), logger));

  fastify.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('x-request-id', request.id);
    // The matched route, not the raw URL: `/gr%61phql` and `/graphql?x` are the same route.
    if (request.routeOptions?.url !== '/graphql') return;
    const upgrade = isWebSocketUpgrade(request);
    if (!upgrade && request.method !== 'POST') {
      return reply.code(405).header('allow', 'POST').send(graphqlError('METHOD_NOT_ALLOWED', 'GraphQL is served only as POST with Content-Type: application/json'));
    }
    const type = String(request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (!upgrade && type !== 'application/json') {
      return reply.code(415).send(graphqlError('UNSUPPORTED_MEDIA_TYPE', 'GraphQL requests must have Content-Type: application/json'));
    }
    try {
      await auth.authenticateRequest(request as unknown as RequestWithPartner);
    } catch (e) {
      if (e instanceof AppError) {
        // A refused WebSocket upgrade: answer 401, then close the raw socket (nothing else will).
        if (upgrade) reply.raw.once('finish', () => upgradeSocketOf(request)?.destroy());
        else if (announcesBody(request)) reply.header('connection', 'close'); // leave the upload unread
        return reply.code(401).send(graphqlError(e.code, e.message));
      }
      throw e;
    }
  });

  // After the hook above (which sets x-request-id and authenticates /graphql): every other route.
  fastify.addHook('onRequest', authenticateBeforeBody(auth, app.get(PushTokensService)));

  fastify.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.routeOptions?.url !== '/graphql' || request.method !== 'POST') return;
    const body = request.body as { query?: unknown } | unknown[] | null;
    if (Array.isArray(body)) return reply.code(400).send(graphqlError('BATCHING_NOT_SUPPORTED', 'send one GraphQL operation per request (array batching is off)'));
    const query = body?.query;
    const tooLarge = typeof query === 'string' ? textLimitError(query) : undefined; // the WebSocket gate checks the same
    if (tooLarge) return reply.code(tooLarge.code === 'DOCUMENT_TOO_LARGE' ? 413 : 400).send(graphqlError(tooLarge.code, tooLarge.message));
  });

  fastify.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    const route = request.routeOptions?.url ?? 'unmatched';
    const operation = (request as unknown as RequestWithPartner).operationName ?? '-';
    metrics.observe(request.method, route, operation, reply.statusCode, reply.elapsedTime / 1000);
  });

  app.enableShutdownHooks();
  await app.init();
  return app;
}

/**
 * A real WebSocket upgrade (the socket came through the server's 'upgrade' event), not a plain
 * GET that merely carries an `Upgrade` header: @fastify/websocket marks the former on the raw request.
 */
function upgradeSocketOf(request: FastifyRequest): { destroy(): void } | undefined {
  const key = Object.getOwnPropertySymbols(request.raw).find((s) => s.description === 'ws-socket');
  return key ? (request.raw as unknown as Record<symbol, { destroy(): void }>)[key] : undefined;
}

function isWebSocketUpgrade(request: FastifyRequest): boolean {
  return request.method === 'GET' && upgradeSocketOf(request) !== undefined;
}

function graphqlError(code: string, message: string) {
  return { data: null, errors: [{ message, extensions: { code } }] };
}
