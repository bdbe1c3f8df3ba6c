import { clip, outcomeOf, retryAfterMs, retryDelayMs, setErrorOf } from './push-outcome';

describe('push outcome (RFC 8935 answers)', () => {
  it('acknowledges 202, and another 2xx with a note', () => {
    expect(outcomeOf(202, null, '')).toEqual({ kind: 'acked', note: null });
    expect(outcomeOf(200, null, '')).toEqual({ kind: 'acked', note: 'acknowledged with HTTP 200 (RFC 8935 expects 202)' });
    expect(outcomeOf(204, null, '')).toEqual({ kind: 'acked', note: 'acknowledged with HTTP 204 (RFC 8935 expects 202)' });
  });

  it('dead-letters a 400 carrying an RFC 8935 error at once, and retries a 400 without one', () => {
    expect(outcomeOf(400, null, '{"err":"invalid_audience","description":"Invalid audience value."}')).toEqual({ kind: 'rejected', error: 'refused by the receiver: invalid_audience: Invalid audience value.' });
    expect(outcomeOf(400, null, '{"err":"invalid_key"}')).toEqual({ kind: 'rejected', error: 'refused by the receiver: invalid_key' });
    expect(outcomeOf(400, null, '<html>bad</html>')).toEqual({ kind: 'retry', error: 'HTTP 400: <html>bad</html>', retryAfterMs: null });
    expect(outcomeOf(400, null, '{"error":"x"}').kind).toBe('retry');
  });

  it('retries 5xx, 429, 3xx and other 4xx, with Retry-After on 429 and 503', () => {
    expect(outcomeOf(500, null, '')).toEqual({ kind: 'retry', error: 'HTTP 500', retryAfterMs: null });
    expect(outcomeOf(503, '7', 'down')).toEqual({ kind: 'retry', error: 'HTTP 503: down', retryAfterMs: 7000 });
    expect(outcomeOf(429, '2', '')).toEqual({ kind: 'retry', error: 'HTTP 429', retryAfterMs: 2000 });
    expect(outcomeOf(302, null, '')).toEqual({ kind: 'retry', error: 'redirect refused: HTTP 302 (the gateway does not follow redirects; set endpoint_url to the final URL)', retryAfterMs: null });
    expect(outcomeOf(401, null, '').kind).toBe('retry');
    expect(outcomeOf(404, null, '').kind).toBe('retry');
  });

  it('reads Retry-After as seconds or an HTTP-date, and nothing else', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs('120', now)).toBe(120_000);
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeNull();
    expect(retryAfterMs('-5', now)).toBeNull();
    expect(retryAfterMs(null, now)).toBeNull();
  });

  it('reads only an object with a string err as an RFC 8935 error', () => {
    expect(setErrorOf('{"err":"access_denied","description":7}')).toEqual({ err: 'access_denied', description: null });
    expect(setErrorOf('["err"]')).toBeNull();
    expect(setErrorOf('{"err":""}')).toBeNull();
    expect(setErrorOf('nope')).toBeNull();
  });

  it('keeps recorded errors short and on one line', () => {
    expect(clip('a\r\nb\u0000c')).toBe('a b c');
    expect(clip('x'.repeat(600))).toHaveLength(500);
  });
});

describe('backoff with full jitter', () => {
  it('draws in [0, min(max, base * 2^(n-1))]', () => {
    expect(retryDelayMs(1, 100, 10_000, null, () => 0.999)).toBe(99);
    expect(retryDelayMs(2, 100, 10_000, null, () => 0.999)).toBe(199);
    expect(retryDelayMs(4, 100, 10_000, null, () => 0.5)).toBe(400);
    expect(retryDelayMs(30, 100, 10_000, null, () => 0.999)).toBe(9990);
    expect(retryDelayMs(500, 100, 10_000, null, () => 0.999)).toBe(9990);
    expect(retryDelayMs(3, 100, 10_000, null, () => 0)).toBe(0);
  });

  it('never retries sooner than Retry-After, nor later than the maximum', () => {
    expect(retryDelayMs(1, 100, 10_000, 5000, () => 0)).toBe(5000);
    expect(retryDelayMs(1, 100, 10_000, 999_999, () => 0)).toBe(10_000);
    expect(retryDelayMs(8, 100, 10_000, 10, () => 0.5)).toBe(5000);
  });
});
