// The SSF HTTP endpoints (README "Streams", "Polling") as the CLI calls them: the partner assertion
// the client mints, JSON in and out, and the gateway's {"err","description"} as a GatewayRefusal.
import { refusedError } from './cli-errors';
import { GatewayClient, GatewayRefusal } from './gateway-client';
import { EVENTS_SUPPORTED } from '../delivery/streams/event-types';

export interface SsfAnswer<T = unknown> {
  status: number;
  body: T;
}

/** One SSF call; a 4xx/5xx answer throws GatewayRefusal (exit 1) with the gateway's code and description. */
export async function ssfCall<T = Record<string, unknown>>(client: GatewayClient, method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<SsfAnswer<T>> {
  const res = await client.fetch(path, {
    method,
    signal,
    headers: { authorization: `Bearer ${await client.assertion()}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      throw refusedError(`the gateway at ${client.url} answered HTTP ${res.status} to ${method} ${path} without JSON: is --url the Risk Exchange gateway?`);
    }
  }
  if (res.status >= 400) {
    const e = (parsed ?? {}) as { err?: string; description?: string };
    const retry = Number(res.headers.get('retry-after') ?? NaN);
    throw new GatewayRefusal(e.err ?? `HTTP_${res.status}`, hint(res.status, e.description ?? `HTTP ${res.status}`), Number.isFinite(retry) ? retry : null);
  }
  return { status: res.status, body: parsed as T };
}

function hint(status: number, description: string): string {
  if (status === 401) return `${description} (check --partner, that --key is the private half of a key registered for it, and the clock)`;
  if (status === 404) return `${description} (\`risk-exchange stream list\` shows your streams)`;
  return description;
}

/** Full event type URIs from short names (account-flag, risk-level-change, verification) or URIs. */
export function eventTypes(list: string): string[] {
  return list.split(',').map((s) => s.trim()).filter(Boolean).flatMap((name) => {
    if (name === 'all') return [...EVENTS_SUPPORTED];
    if (name.includes('://') || name.startsWith('urn:')) return [name];
    const full = EVENTS_SUPPORTED.find((u) => u.endsWith(`:${name}`) || u.endsWith(`/${name}`));
    if (!full) throw new Error(`unknown event type "${name}": one of ${EVENTS_SUPPORTED.map(shortType).join(', ')}, all, or a full URI`);
    return [full];
  });
}

/** The last segment of an event type URI: account-flag, risk-level-change, verification... */
export function shortType(uri: string): string {
  return uri.split(/[:/]/).pop() ?? uri;
}

export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });
