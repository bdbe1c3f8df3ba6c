import { maskEvent } from './masking';

describe('masking policy', () => {
  const event = { id: '1', evidence: '{"a":1}', token: 'a.b.c', reasonCodes: ['x'], score: 0.5 };
  it('withholds evidence, token and reason codes, and says so', () => {
    expect(maskEvent(event, false)).toEqual({ id: '1', evidence: null, token: null, reasonCodes: null, score: 0.5, redactedFields: ['evidence', 'token', 'reasonCodes'] });
  });
  it('shows everything with full access', () => {
    expect(maskEvent(event, true)).toEqual({ ...event, redactedFields: [] });
  });
});
