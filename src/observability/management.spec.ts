import pino from 'pino';
import { ManagementServer } from './management';

// The main-thread half with a real worker thread and fake sources (no Nest, no database): as on
// PGlite, the worker has no probe of its own, so what it answers is what the main thread publishes.
describe('ManagementServer', () => {
  let available = true;
  let scrapes = 0;
  let server: ManagementServer;

  beforeAll(() => {
    server = new ManagementServer(
      { host: '127.0.0.1', port: 0, scrapeIntervalMs: 100, heartbeatTimeoutMs: 5000, metricsToken: 'unit-metrics-token-0123', retryAfterSeconds: 7 },
      {
        database: 'pglite',
        databaseUrl: undefined,
        databaseAvailable: () => available,
        scrape: async () => `rx_scrapes_total ${++scrapes}\n`,
      },
      pino({ level: 'silent' }),
    );
    server.start();
  });
  afterAll(() => server.stop());

  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`http://127.0.0.1:${await server.whenListening()}${path}`, { headers });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), text: await res.text() };
  };
  const until = async (probe: () => Promise<boolean>) => {
    for (const deadline = Date.now() + 5000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) if (await probe()) return;
    throw new Error('timed out');
  };

  it('publishes the database state to the worker: 503 with the reason while it is down, 200 once it is back', async () => {
    expect(JSON.parse((await get('/health')).text)).toEqual({ status: 'ok', database: 'pglite' });
    available = false;
    await until(async () => (await get('/health')).status === 503);
    const down = await get('/health');
    expect(down.retryAfter).toBe('7');
    expect(JSON.parse(down.text)).toEqual({ status: 'unavailable', database: 'pglite', reason: 'database did not answer' });
    available = true;
    await until(async () => (await get('/health')).status === 200);
  });

  it('serves fresh scrapes with the token, refreshed every interval', async () => {
    expect((await get('/metrics')).status).toBe(401);
    const first = Number(/^rx_scrapes_total (\d+)$/m.exec((await get('/metrics', { authorization: 'Bearer unit-metrics-token-0123' })).text)?.[1]);
    expect(first).toBeGreaterThanOrEqual(1);
    await until(async () => Number(/^rx_scrapes_total (\d+)$/m.exec((await get('/metrics', { authorization: 'Bearer unit-metrics-token-0123' })).text)?.[1]) > first);
  });
});
