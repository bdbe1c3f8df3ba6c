import { fieldExtensionsEstimator, getComplexity, simpleEstimator, type ComplexityEstimator } from 'graphql-query-complexity';
import { DocumentNode, GraphQLSchema, Kind } from 'graphql';
import type { RequestWithPartner } from '../auth/decorators';
import { AppError, ErrorCode } from '../common/errors';
import type { AppConfig } from '../config/config';
import type { RateLimiterService } from '../ratelimit/rate-limiter.service';

/**
 * Estimated cost of a document: 1 per field; a list asked with `first: n` costs its items n
 * times, and one that takes `first` without it costs them 20 times (its default page): so every
 * list that can grow (connections, `keys`, `contributions`, `activeFlags`) costs its cap, nested
 * in `riskScores` once per subject; `publishEvents` costs one per token.
 */
const listEstimator: ComplexityEstimator = ({ args, childComplexity, field }) => {
  if (field.name === 'publishEvents' && Array.isArray(args.tokens)) return 1 + args.tokens.length;
  const streamSubjects = (args.input as { subjects?: unknown } | undefined)?.subjects;
  if ((field.name === 'addStreamSubjects' || field.name === 'removeStreamSubjects') && Array.isArray(streamSubjects)) return 1 + streamSubjects.length;
  if (field.name === 'riskScores' && Array.isArray(args.subjects)) return 1 + childComplexity * args.subjects.length;
  if (typeof args.first === 'number') return 1 + childComplexity * Math.max(1, args.first);
  if ('first' in field.args.reduce((o, a) => ({ ...o, [a.name]: true }), {} as Record<string, boolean>)) return 1 + childComplexity * 20;
  return undefined;
};

/**
 * The estimators above read only list lengths and numbers from the variables (and `@include` /
 * `@skip` read booleans), so a document's cost is cached by the shape of its declared variables:
 * each value tagged by type, with list lengths, numbers and booleans kept and strings reduced to
 * their type. `null`, `0` and a string never share a key (a null `first` is a 20-item page).
 * Mercurius keeps one parsed DocumentNode per query text, so repeated queries hit. Keys are
 * bounded (length and count per document), so junk variables cannot grow the cache.
 */
const costCache = new WeakMap<DocumentNode, Map<string, number>>();
const MAX_SHAPES_PER_DOCUMENT = 32;
const MAX_KEY_LENGTH = 512;

function shapeOf(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return [v.length, ...v.filter((x) => typeof x !== 'string').map(shapeOf)];
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shapeOf(x)]));
  return typeof v === 'string' ? 's' : '?';
}

function declaredVariables(document: DocumentNode, variables: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const d of document.definitions) {
    if (d.kind !== Kind.OPERATION_DEFINITION) continue;
    for (const v of d.variableDefinitions ?? []) out[v.variable.name.value] = shapeOf(variables[v.variable.name.value]);
  }
  return out;
}

export function documentCost(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | undefined): number {
  const key = JSON.stringify(declaredVariables(document, variables ?? {}));
  if (key.length > MAX_KEY_LENGTH) return computeCost(schema, document, variables);
  let byShape = costCache.get(document);
  const hit = byShape?.get(key);
  if (hit !== undefined) return hit;
  const cost = computeCost(schema, document, variables);
  if (!byShape || byShape.size >= MAX_SHAPES_PER_DOCUMENT) costCache.set(document, (byShape = new Map()));
  byShape.set(key, cost);
  return cost;
}

function computeCost(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | undefined): number {
  return getComplexity({
    schema,
    query: document,
    variables: variables ?? {},
    estimators: [fieldExtensionsEstimator(), listEstimator, simpleEstimator({ defaultComplexity: 1 })],
  });
}

/**
 * Mercurius preExecution hook: refuses a document over GRAPHQL_MAX_COST, then charges its cost
 * to the partner's budget of the minute (RATE_LIMITED with retryAfter when spent).
 */
export function costAndRateLimitHook(config: AppConfig, limiter: RateLimiterService) {
  return async (schema: GraphQLSchema, document: DocumentNode, context: { reply: { request: unknown; header(name: string, value: string): unknown } }, variables: Record<string, unknown>) => {
    const partner = (context.reply.request as RequestWithPartner).partner;
    if (!partner) throw new AppError(ErrorCode.UNAUTHENTICATED, 'not authenticated');
    const cost = documentCost(schema, document, variables);
    if (cost > config.graphqlMaxCost) {
      throw new AppError(ErrorCode.QUERY_TOO_COMPLEX, `this document costs ${cost}, more than the ${config.graphqlMaxCost} allowed: ask for smaller pages or fewer fields`, { cost, maxCost: config.graphqlMaxCost });
    }
    const decision = await limiter.consume(partner.id, partner.kind, cost);
    if (!decision.allowed) {
      context.reply.header('retry-after', String(decision.retryAfterSeconds));
      throw new AppError(ErrorCode.RATE_LIMITED, `the query-cost budget of ${decision.budget} per minute is spent; retry after ${decision.retryAfterSeconds} s`, { retryAfter: decision.retryAfterSeconds, budget: decision.budget });
    }
  };
}
