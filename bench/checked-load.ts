// Load under autocannon with every response body checked. GraphQL errors come back as HTTP 200,
// so counting non-2xx is not enough: a query failing fast would look like a fast query. A run
// with any failed response reports the failures and no throughput.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (opts: Record<string, unknown>) => Promise<any>;

export interface CheckedLoad {
  /** Requests whose response was checked (completed ones). */
  checked: number;
  /** Responses that were not HTTP 200, carried GraphQL errors, or failed the caller's check. */
  failed: number;
  /** Connection errors and timeouts (no response at all). */
  transportErrors: number;
  firstFailure: string | null;
  reqPerS: number;
  p50: number;
  p99: number;
}

/**
 * Runs autocannon and checks each response: HTTP 200, JSON with `data` and no `errors`, and
 * `isOk(data)` when given. `body` makes each request's body (a function: bodies may vary).
 */
export async function checkedLoad(o: {
  url: string;
  headers: Record<string, string>;
  body: () => string;
  isOk?: (data: any) => boolean;
  connections?: number;
  duration: number;
}): Promise<CheckedLoad> {
  let checked = 0;
  let failed = 0;
  let firstFailure: string | null = null;
  const fail = (why: string) => {
    failed++;
    firstFailure ??= why.slice(0, 300);
  };
  const r = await autocannon({
    url: o.url,
    connections: o.connections ?? 50,
    duration: o.duration,
    method: 'POST',
    headers: o.headers,
    requests: [
      {
        setupRequest: (req: Record<string, unknown>) => ({ ...req, body: o.body() }),
        onResponse: (status: number, body: string) => {
          checked++;
          if (status !== 200) return fail(`HTTP ${status}: ${body}`);
          let parsed: { data?: unknown; errors?: unknown };
          try {
            parsed = JSON.parse(body);
          } catch {
            return fail(`not JSON: ${body}`);
          }
          if (parsed.errors !== undefined || parsed.data == null) return fail(`GraphQL errors: ${JSON.stringify(parsed.errors ?? parsed)}`);
          if (o.isOk && !o.isOk(parsed.data)) return fail(`unexpected data: ${JSON.stringify(parsed.data)}`);
        },
      },
    ],
  });
  const transportErrors = (r.errors ?? 0) + (r.timeouts ?? 0);
  return { checked, failed, transportErrors, firstFailure, reqPerS: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99 };
}

/**
 * The figures of a checked run under `prefix`: throughput and latency only when every response
 * was right; otherwise the error counts and the first failure, and no throughput.
 */
export function report(prefix: string, r: CheckedLoad, log: (m: string) => void, label: string): Record<string, number | string> {
  if (r.checked === 0 || r.failed > 0 || r.transportErrors > 0) {
    log(`${label}: ERRORS: ${r.failed} of ${r.checked} responses failed, ${r.transportErrors} transport errors (first: ${r.firstFailure ?? 'none'}); no throughput reported`);
    return { [`${prefix}_checked`]: r.checked, [`${prefix}_failed`]: r.failed, [`${prefix}_transport_errors`]: r.transportErrors, [`${prefix}_first_failure`]: r.firstFailure ?? '' };
  }
  log(`${label}: ${r.reqPerS} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, ${r.checked} responses checked, none failed`);
  return { [`${prefix}_req_per_s`]: r.reqPerS, [`${prefix}_p50_ms`]: r.p50, [`${prefix}_p99_ms`]: r.p99, [`${prefix}_checked`]: r.checked, [`${prefix}_failed`]: 0 };
}
