import * as net from 'node:net';

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Body bytes the client had written when the answer arrived. */
  sentBeforeAnswer: number;
}

/**
 * Sends a request over a raw socket: the head announces `contentLength` bytes, then `sendBytes` of
 * them are written and the client waits. Resolves with the answer, or `undefined` when none came
 * within `waitMs` (the server is still waiting for the rest of the body).
 */
export function rawRequest(url: string, o: { method?: string; path: string; headers: Record<string, string>; contentLength: number; sendBytes: number; waitMs?: number }): Promise<RawAnswer | undefined> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    let received = Buffer.alloc(0);
    let sent = 0;
    let done = false;
    const finish = (answer: RawAnswer | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => finish(parse(received, sent)), o.waitMs ?? 3000);
    socket.on('error', () => finish(parse(received, sent)));
    socket.on('close', () => finish(parse(received, sent)));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const answer = parse(received, sent);
      if (answer && Buffer.byteLength(answer.body) >= Number(answer.headers['content-length'] ?? 0)) finish(answer);
    });
    socket.on('connect', () => {
      const head = [`${o.method ?? 'POST'} ${o.path} HTTP/1.1`, `host: ${hostname}:${port}`, `content-length: ${o.contentLength}`, ...Object.entries(o.headers).map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n');
      socket.write(head);
      // In chunks, so an answer that comes early is seen while the upload is unfinished.
      const chunk = Buffer.alloc(16 * 1024, 'a');
      const pump = () => {
        while (!done && sent < o.sendBytes) {
          const n = Math.min(chunk.length, o.sendBytes - sent);
          sent += n;
          if (!socket.write(chunk.subarray(0, n))) return void socket.once('drain', pump);
        }
      };
      pump();
    });
  });
}

function parse(data: Buffer, sent: number): RawAnswer | undefined {
  const text = data.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
  return { status: Number(statusLine.split(' ')[1]), headers, body: data.subarray(Buffer.byteLength(text.slice(0, end + 4), 'latin1')).toString(), sentBeforeAnswer: sent };
}
