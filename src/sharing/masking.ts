// The one masking policy: which fields of an event a viewer gets. GraphQL responses use it now;
// every delivery channel (subscriptions, poll, push) is to use it too. Pure.

/** Fields withheld from viewers without full access. */
export const MASKED_FIELDS = ['evidence', 'token', 'reasonCodes'] as const;

export type Masked<T> = T & { redactedFields: string[] };

export function maskEvent<T extends { evidence: unknown; token: unknown; reasonCodes: unknown }>(event: T, fullAccess: boolean): Masked<T> {
  if (fullAccess) return { ...event, redactedFields: [] };
  return { ...event, evidence: null, token: null, reasonCodes: null, redactedFields: [...MASKED_FIELDS] };
}
