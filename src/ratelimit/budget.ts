import type { RateDecision } from './rate-limiter.service';

/**
 * What one `POST /events` costs: the same as `publishEvents` with one token (1 for the field and
 * 1 per token, see graphql/cost.ts), so pushing one SET and publishing it over GraphQL spend the
 * one budget alike.
 */
export const SET_PUSH_COST = 2;

/** The words of a refusal for a spent budget, the same on every surface. */
export function budgetSpentMessage(decision: RateDecision): string {
  return `the query-cost budget of ${decision.budget} per minute is spent; retry after ${decision.retryAfterSeconds} s`;
}
