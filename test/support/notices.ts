// Helpers for the pull delivery specs: poll streams made directly in the database (the stream API
// is built on another branch), notices enqueued with the real outbox function, an RFC 8936 poll
// client, and a graphql-transport-ws client for the `notices` subscription.
import { createLocalJWKSet, jwtVerify } from 'jose';
import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { WebSocket as WsSocket } from 'ws';
import { DeliveryState } from '../../src/delivery/delivery.entity';
import { enqueueNotices } from '../../src/delivery/outbox';
import { POLL_METHOD, PUSH_METHOD, SsfStream } from '../../src/delivery/stream.entity';
import { SUBJECT } from './sets';

export const FLAG_TYPE = 'urn:risk-exchange:event:account-flag';

/** Inserts an enabled stream owned by `owner` (poll unless `push`). */
export async function createStream(db: DataSource, owner: string, o: { push?: boolean; alg?: 'EdDSA' | 'RS256' } = {}): Promise<SsfStream> {
  const now = new Date();
  const stream = db.getRepository(SsfStream).create({
    id: randomUUID(),
    owner,
    aud: owner, // as the stream API sets it: the receiving partner id
    description: null,
    eventsRequested: [FLAG_TYPE],
    deliveryMethod: o.push ? PUSH_METHOD : POLL_METHOD,
    endpointUrl: o.push ? 'https://127.0.0.1:1/push' : null,
    authorizationHeader: null,
    signingAlg: o.alg ?? 'EdDSA',
    minVerificationInterval: 30,
    status: 'enabled',
    statusReason: null,
    lastVerificationAt: null,
    consecutiveFailures: 0,
    createdAt: now,
    updatedAt: now,
  });
  return db.getRepository(SsfStream).save(stream);
}

/** Enqueues `n` account-flag notices for the stream in one transaction (NOTIFY at commit); answers their jtis. */
export async function enqueue(db: DataSource | EntityManager, stream: SsfStream, n = 1, subject = SUBJECT): Promise<string[]> {
  const notices = Array.from({ length: n }, (_, i) => ({
    streamId: stream.id,
    receiver: stream.owner,
    eventId: null,
    eventType: FLAG_TYPE,
    payload: { aud: stream.aud, sub_id: { format: 'opaque', id: subject }, txn: randomUUID(), events: { [FLAG_TYPE]: { action: 'freeze', seq: i } } },
    state: DeliveryState.PENDING as const,
    push: false,
  }));
  const run = (m: EntityManager) => enqueueNotices(m, notices);
  return 'manager' in db ? db.transaction(run) : run(db);
}

export interface PollAnswer {
  status: number;
  body: any;
  headers: Headers;
}

/** One RFC 8936 poll request. */
export async function poll(baseUrl: string, streamId: string, bearer: string, body: unknown, signal?: AbortSignal): Promise<PollAnswer> {
  const res = await fetch(`${baseUrl}/ssf/poll/${streamId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body: JSON.stringify(body),
    signal,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

/** Verifies a delivered SET with the gateway's published JWKS; answers its claims and header. */
export async function verifySet(baseUrl: string, token: string, audience: string) {
  const jwks = (await (await fetch(`${baseUrl}/.well-known/jwks.json`)).json()) as { keys: object[] };
  const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks as never), { audience, typ: 'secevent+jwt' });
  return { payload, protectedHeader };
}

export interface WsMessage {
  type: string;
  id?: string;
  payload?: any;
}

/** A graphql-transport-ws client that records every message and the close. */
export class NoticeSocket {
  readonly messages: WsMessage[] = [];
  closed: { code: number; reason: string } | null = null;
  private waiters: Array<() => void> = [];
  private nextId = 0;

  private constructor(private readonly ws: WsSocket) {
    ws.on('message', (raw) => {
      this.messages.push(JSON.parse(String(raw)) as WsMessage);
      this.poke();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: String(reason) };
      this.poke();
    });
  }

  static async open(baseUrl: string, bearer: string, initPayload: Record<string, unknown> = {}): Promise<NoticeSocket> {
    const { WebSocket } = await import('ws');
    const ws = new WebSocket(baseUrl.replace('http', 'ws') + '/graphql', 'graphql-transport-ws', { headers: { authorization: `Bearer ${bearer}` } });
    const socket = new NoticeSocket(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('error', reject);
      ws.once('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: initPayload })));
      ws.once('close', (code, reason) => reject(new Error(`closed ${code} ${String(reason)}`)));
      ws.once('message', (m) => (JSON.parse(String(m)).type === 'connection_ack' ? resolve() : reject(new Error(String(m)))));
    });
    return socket;
  }

  send(message: WsMessage): void {
    this.ws.send(JSON.stringify(message));
  }

  /** Starts an operation; answers its id. */
  subscribe(query: string, variables: Record<string, unknown> = {}): string {
    const id = String(++this.nextId);
    this.send({ id, type: 'subscribe', payload: { query, variables } });
    return id;
  }

  /** Messages of one operation. */
  of(id: string): WsMessage[] {
    return this.messages.filter((m) => m.id === id);
  }

  /** The notices received on a subscription, in order. */
  notices(id: string): any[] {
    return this.of(id).filter((m) => m.type === 'next').map((m) => m.payload.data?.notices);
  }

  /** Resolves when `probe` holds (checked on every message and on close); fails after `ms`. */
  async until(probe: () => boolean, what: string, ms = 20_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!probe()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; messages: ${JSON.stringify(this.messages).slice(0, 2000)}; closed: ${JSON.stringify(this.closed)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 200);
        this.waiters.push(() => (clearTimeout(t), resolve()));
      });
    }
  }

  /** Runs a query or mutation on the socket and answers its `next` payload. */
  async request(query: string, variables: Record<string, unknown> = {}): Promise<any> {
    const id = this.subscribe(query, variables);
    await this.until(() => this.of(id).some((m) => m.type === 'complete' || m.type === 'error'), `an answer to ${id}`);
    const m = this.of(id).find((x) => x.type === 'next' || x.type === 'error') as WsMessage;
    return m.type === 'error' ? { errors: m.payload } : m.payload;
  }

  close(): void {
    this.ws.close();
  }

  private poke() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
