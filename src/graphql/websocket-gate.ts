import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { getOperationAST, GraphQLError, NoSchemaIntrospectionCustomRule, parse, specifiedRules, validate, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import type { AuthService } from '../auth/auth.service';
import type { RequestWithPartner } from '../auth/decorators';
import { AppError, ErrorCode } from '../common/errors';
import type { AppConfig } from '../config/config';
import { budgetSpentMessage } from '../ratelimit/budget';
import type { RateLimiterService } from '../ratelimit/rate-limiter.service';
import { documentCost } from './cost';
import { makeErrorFormatter } from './graphql-errors';
import { fieldAndAliasLimitRule, textLimitError } from './limits';
import { WsSession } from './ws-session';

/** Messages one socket may have waiting for the gate; a client that floods is disconnected. */
const MAX_QUEUED_MESSAGES = 64;

interface WebSocketLike {
  protocol: string;
  once(event: 'close', listener: () => void): unknown;
  emit(event: string | symbol, ...args: unknown[]): boolean;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

interface GraphQLApp {
  graphql: ((source: string, context: object, variables?: Record<string, unknown>, operationName?: string) => Promise<ExecutionResult>) & { schema: GraphQLSchema };
}

/**
 * GraphQL over WebSocket (`/graphql`, graphql-transport-ws or legacy graphql-ws) gets exactly what
 * `POST /graphql` gets: the text and token limits before anything is parsed, the same validation
 * rules (fields, aliases, depth, and no introspection in production), the same cost limit, the
 * same per-partner rate budget and the same error format (`extensions.code`).
 *
 * Mercurius parses a `subscribe` message itself, without any limit, before any of its hooks run
 * (and a deeply nested document overflows the stack there), so every message is seen here first:
 * this wraps the route's WebSocket handler (a Fastify `onRoute` hook) and filters the socket's
 * `message` events, one at a time, in order. Queries and mutations run here through
 * `fastify.graphql` (the same pipeline as HTTP: rules, cost and budget hook, guard); a
 * subscription is checked here and then handed to Mercurius.
 *
 * Each operation is authenticated again as it arrives, from the socket's current assertion: a
 * suspended partner or a revoked key is refused from the next operation. The session is also
 * checked on its own every WS_SESSION_CHECK_MS (ws-session.ts), so a socket that only receives
 * (a `notices` subscription) is closed with 4401 when its partner is suspended, its key revoked or
 * its assertion expired. An assertion lives at most 300 s: a long-lived socket renews it with
 * `{"type":"ping","payload":{"authorization":"Bearer <fresh assertion>"}}` (graphql-transport-ws;
 * the server still answers `pong`), or in `connection_init`'s payload the same way; the new one
 * must name the same partner.
 */
export function webSocketGate(fastify: FastifyInstance, config: AppConfig, auth: AuthService, limiter: RateLimiterService, logger: Logger) {
  const production = config.nodeEnv === 'production';
  const rules = [...specifiedRules, fieldAndAliasLimitRule, ...(production ? [NoSchemaIntrospectionCustomRule] : [])];
  const formatter = makeErrorFormatter(production);

  type WsHandler = (this: unknown, socket: WebSocketLike, request: FastifyRequest) => unknown;
  return (route: RouteOptions & { wsHandler?: WsHandler }) => {
    if (route.url !== '/graphql' || typeof route.wsHandler !== 'function') return;
    const original = route.wsHandler;
    route.wsHandler = function (this: unknown, socket: WebSocketLike, request: FastifyRequest) {
      guard(socket, request);
      return original.call(this, socket, request);
    };
  };

  function guard(socket: WebSocketLike, request: FastifyRequest) {
    const emit = socket.emit.bind(socket);
    const legacy = socket.protocol === 'graphql-ws';
    const types = legacy ? { start: 'start', data: 'data' } : { start: 'subscribe', data: 'next' };
    const send = (type: string, id: unknown, payload?: unknown) => socket.send(JSON.stringify({ type, id, payload }));
    // What the resolvers, the guard and the hooks read from a request; status and headers have no
    // meaning on a socket (retryAfter is in the error's extensions).
    const reply = { request, log: logger, header: () => reply, code: () => reply };
    const context = { req: request, reply };
    const fail = (id: unknown, errors: readonly GraphQLError[]) => {
      const formatted = formatter({ errors } as never, context as never);
      send('error', id, formatted.response.errors);
    };
    let initialised = false;
    let queued = 0;
    let chain = Promise.resolve();
    const session = new WsSession(auth, config.wsSessionCheckMs, request, (code, reason) => socket.close(code, reason), logger);
    socket.once('close', () => session.stop());

    /** Resolves to true when Mercurius should see the message. */
    const admit = async (raw: unknown): Promise<boolean> => {
      let message: { type?: unknown; id?: unknown; payload?: { query?: unknown; variables?: unknown; operationName?: unknown } };
      try {
        message = JSON.parse(String(raw));
      } catch {
        fail(null, [new GraphQLError('each message must be a JSON object', { extensions: { code: 'BAD_REQUEST' } })]);
        return false;
      }
      if (message?.type === 'connection_init' || (message?.type === 'ping' && !legacy)) {
        // A renewed assertion in the payload (connection_init's, or a ping's on graphql-transport-ws).
        const renewal = (message.payload as { authorization?: unknown } | undefined)?.authorization;
        if (renewal !== undefined && !(await session.renew(renewal))) return false;
        if (message.type === 'connection_init') {
          initialised = true;
          session.start();
        }
        return true;
      }
      if (message?.type !== types.start || !initialised) return true; // Mercurius answers an early start itself
      const { id } = message;
      if (!(await reauthenticate(id))) return false;
      const query = message.payload?.query;
      const variables = (message.payload?.variables ?? undefined) as Record<string, unknown> | undefined;
      const operationName = typeof message.payload?.operationName === 'string' ? message.payload.operationName : undefined;
      if (typeof query !== 'string') return fail(id, [new GraphQLError('payload.query must be a string', { extensions: { code: 'BAD_REQUEST' } })]), false;
      const tooLarge = textLimitError(query);
      if (tooLarge) return fail(id, [new GraphQLError(tooLarge.message, { extensions: { code: tooLarge.code } })]), false;
      if (variables !== undefined && (typeof variables !== 'object' || Array.isArray(variables))) {
        return fail(id, [new GraphQLError('payload.variables must be an object', { extensions: { code: 'BAD_REQUEST' } })]), false;
      }
      let document: DocumentNode;
      try {
        document = parse(query);
      } catch (e) {
        return fail(id, [e as GraphQLError]), false;
      }
      const operation = getOperationAST(document, operationName);
      if (operation?.operation !== 'subscription') {
        await execute(id, query, variables, operationName);
        return false;
      }
      const app = fastify as unknown as GraphQLApp;
      if (!app.graphql.schema.getSubscriptionType()) {
        return fail(id, [new GraphQLError('this gateway offers no subscriptions yet', { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })]), false;
      }
      const invalid = validate(app.graphql.schema, document, rules);
      if (invalid.length > 0) return fail(id, invalid), false;
      const refused = await chargeSubscription(app.graphql.schema, document, variables);
      if (refused) return fail(id, [new GraphQLError(refused.message, { originalError: refused })]), false;
      return true;
    };

    /** Authenticates the operation as of now; the guard and the hooks then read this result. */
    const reauthenticate = async (id: unknown): Promise<boolean> => {
      try {
        await session.authenticate();
        return true;
      } catch (e) {
        if (!(e instanceof AppError)) throw e;
        fail(id, [new GraphQLError(e.message, { originalError: e })]);
        socket.close(4401, 'unauthenticated: reconnect with a fresh assertion');
        return false;
      }
    };

    /** A query or mutation: the same pipeline as POST /graphql, answered as `next` + `complete`. */
    const execute = async (id: unknown, query: string, variables: Record<string, unknown> | undefined, operationName: string | undefined) => {
      try {
        // Its errors come back formatted by our error formatter already.
        const result = await (fastify as unknown as GraphQLApp).graphql(query, { ...context }, variables, operationName);
        send(types.data, id, result);
        send('complete', id);
      } catch (e) {
        // Mercurius throws for a document that did not execute (validation, variables, the cost hook).
        fail(id, [e instanceof GraphQLError ? e : new GraphQLError((e as Error).message, { originalError: e as Error })]);
      }
    };

    /** A subscription costs what its document costs, from the same budget, before it starts. */
    const chargeSubscription = async (schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | undefined): Promise<AppError | undefined> => {
      const partner = (request as unknown as RequestWithPartner).partner;
      if (!partner) return new AppError(ErrorCode.UNAUTHENTICATED, 'not authenticated');
      const cost = documentCost(schema, document, variables);
      if (cost > config.graphqlMaxCost) {
        return new AppError(ErrorCode.QUERY_TOO_COMPLEX, `this document costs ${cost}, more than the ${config.graphqlMaxCost} allowed: ask for smaller pages or fewer fields`, { cost, maxCost: config.graphqlMaxCost });
      }
      const decision = await limiter.consume(partner.id, partner.kind, cost);
      if (!decision.allowed) return new AppError(ErrorCode.RATE_LIMITED, budgetSpentMessage(decision), { retryAfter: decision.retryAfterSeconds, budget: decision.budget });
      return undefined;
    };

    socket.emit = (event: string | symbol, ...args: unknown[]) => {
      if (event !== 'message') return emit(event, ...args);
      if (++queued > MAX_QUEUED_MESSAGES) {
        socket.close(1008, 'too many messages waiting: wait for answers before sending more');
        return true;
      }
      chain = chain
        .then(() => admit(args[0]))
        .then((pass) => void (pass && emit('message', ...args)))
        .catch((e: Error) => logger.error({ err: { type: e.name, message: e.message } }, 'WebSocket message failed'))
        .finally(() => queued--);
      return true;
    };
  }
}
