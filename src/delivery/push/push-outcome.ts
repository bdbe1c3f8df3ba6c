// What a receiver's answer means for a pushed SET, and when to try again (pure: tested alone).
//
// RFC 8935 section 2.2: a receiver that accepts a SET answers 202. Section 2.3: one that refuses
// it answers 400 with a JSON body {"err", "description"} (codes of section 2.4); other HTTP errors
// are general failures. Section 4 leaves retries to the transmitter and notes that a refused SET
// is unlikely to be accepted when resent unchanged. So:
// - 202 acknowledges. Another 2xx also does (the receiver took the request; resending a SET it
//   already processed would duplicate it), and the delivery keeps a note that 202 was expected.
// - 400 with an RFC 8935 error: the receiver refused this SET. Resending the same token (same jti,
//   iat, signature) cannot change the answer, so it is dead-lettered at once with the error; once
//   the receiver's configuration is fixed (keys, audience, authorization_header), the partner
//   replays it.
// - anything else (connect and TLS errors, timeouts, 3xx, 5xx, 429, other 4xx): retried with
//   backoff until PUSH_MAX_ATTEMPTS; Retry-After is honoured.

export type PushOutcome =
  | { kind: 'acked'; note: string | null }
  | { kind: 'rejected'; error: string }
  | { kind: 'retry'; error: string; retryAfterMs: number | null };

/** The error codes of RFC 8935 section 2.4 (the IANA registry may add more: any `err` string counts). */
export const SET_ERROR_CODES = ['invalid_request', 'invalid_key', 'invalid_issuer', 'invalid_audience', 'authentication_failed', 'access_denied'];

const MAX_ERROR = 500;

export function clip(text: string, max = MAX_ERROR): string {
  // Control characters would make the recorded error unreadable (and could forge log lines).
  const clean = text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/** Reads an RFC 8935 error body: `{"err": "...", "description"?: "..."}`. */
export function setErrorOf(body: string): { err: string; description: string | null } | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  const { err, description } = parsed as Record<string, unknown>;
  if (typeof err !== 'string' || err === '') return null;
  return { err, description: typeof description === 'string' ? description : null };
}

/** Retry-After (RFC 9110 section 10.2.3): delay-seconds or an HTTP-date; null when absent or unreadable. */
export function retryAfterMs(header: string | null | undefined, now = Date.now()): number | null {
  if (!header) return null;
  const v = header.trim();
  if (/^\d{1,10}$/.test(v)) return Number(v) * 1000;
  if (!/^[A-Za-z]{3},? /.test(v)) return null; // an HTTP-date starts with the day name (Date.parse takes "-5" as a year)
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** Classifies an HTTP answer (`body`: at most the capped prefix that was read). */
export function outcomeOf(status: number, retryAfter: string | null | undefined, body: string): PushOutcome {
  if (status === 202) return { kind: 'acked', note: null };
  if (status >= 200 && status < 300) return { kind: 'acked', note: `acknowledged with HTTP ${status} (RFC 8935 expects 202)` };
  if (status === 400) {
    const e = setErrorOf(body);
    if (e) return { kind: 'rejected', error: clip(`refused by the receiver: ${e.err}${e.description ? `: ${e.description}` : ''}`) };
  }
  if (status >= 300 && status < 400) return { kind: 'retry', error: `redirect refused: HTTP ${status} (the gateway does not follow redirects; set endpoint_url to the final URL)`, retryAfterMs: null };
  const snippet = body.trim() ? `: ${body.trim().slice(0, 200)}` : '';
  return { kind: 'retry', error: clip(`HTTP ${status}${snippet}`), retryAfterMs: status === 429 || status === 503 ? retryAfterMs(retryAfter) : null };
}

/**
 * Exponential backoff with full jitter: after the n-th failed attempt (n >= 1), wait a uniformly
 * random time in [0, min(max, base * 2^(n-1))]; never less than the receiver's Retry-After (up to
 * max). Full jitter spreads the retries of many deliveries that failed together.
 */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number, retryAfter: number | null = null, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 40));
  const jittered = Math.floor(random() * ceiling);
  return Math.min(maxMs, Math.max(jittered, retryAfter ?? 0));
}
