import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The SET's jti (read without verification; the specs verify separately). */
  jti: string | null;
}

/** Answers one request: write the response (or never answer, to make the gateway time out). */
export type Handler = (req: Received, res: http.ServerResponse, n: number) => void | Promise<void>;

/** An RFC 8935 receiver for tests: a real HTTP server on a loopback address, with a handler the spec changes as it goes. */
export class TestReceiver {
  readonly received: Received[] = [];
  private readonly sockets = new Set<import('node:net').Socket>();

  private constructor(
    private readonly server: http.Server,
    public handler: Handler,
  ) {
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  static async start(handler: Handler, host = '127.0.0.1'): Promise<TestReceiver> {
    let self: TestReceiver | null = null;
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const r: Received = { headers: req.headers, body, jti: jtiOf(body) };
        self!.received.push(r);
        void Promise.resolve(self!.handler(r, res, self!.received.length)).catch(() => res.destroy());
      });
    });
    self = new TestReceiver(server, handler);
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    return self;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(host = '127.0.0.1', path = '/events'): string {
    return `http://${host.includes(':') ? `[${host}]` : host}:${this.port}${path}`;
  }

  jtis(): string[] {
    return this.received.map((r) => r.jti ?? '');
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export function jtiOf(token: string): string | null {
  try {
    return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')).jti ?? null;
  } catch {
    return null;
  }
}

/** Answers with a status (and optional headers and body). */
export const answer = (status: number, body = '', headers: Record<string, string> = {}) => (_r: Received, res: http.ServerResponse) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body);
};
