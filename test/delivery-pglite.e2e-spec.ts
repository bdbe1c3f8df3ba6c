import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { DeliveryWaker } from '../src/delivery/wakeup/delivery-waker';
import { TestGateway } from './support/app';
import { assertion, TestKey } from './support/keys';
import { createStream, enqueue, NoticeSocket, poll } from './support/notices';
import { waitFor } from './support/processes';

/**
 * Wake-ups on the embedded default (PGlite's own `listen`), whatever database the other specs
 * use: a long poll and a subscriber are woken by a notice committed in another transaction. The
 * long-poll bound is far longer than the test, so only the wake-up can answer it with the notice.
 */
describe('pull delivery on the embedded PGlite default (e2e)', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rx-pglite-delivery-'));
  let gw: TestGateway;
  let bank: TestKey;

  beforeAll(async () => {
    // TestGateway.start reads only the database URL (none: PGlite) and the data folder.
    gw = await TestGateway.start({ url: undefined, dataDir } as never, { AUDIT_CHECKPOINT_SECONDS: '0', POLL_MAX_WAIT_MS: '55000' });
    bank = await gw.registerPartner('bank-a', 'BANK');
  });
  afterAll(async () => {
    await gw?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('wakes a long poll and a subscriber when a notice commits', async () => {
    expect(gw.config.databaseUrl).toBeUndefined();
    const ds = gw.app.get(DataSource);
    const waker = gw.app.get(DeliveryWaker);
    expect(waker.listening).toBe(true);
    const stream = await createStream(ds, 'bank-a');
    const socket = await NoticeSocket.open(gw.url, await assertion(bank, 'bank-a'));
    try {
      const id = socket.subscribe('subscription($s: ID!) { notices(streamId: $s) { jti } }', { s: stream.id });
      const polled = poll(gw.url, stream.id, await assertion(bank, 'bank-a'), { maxEvents: 10 });
      await waitFor(() => waker.waiting === 2, 20_000, 'the poll and the subscription to wait');
      const [jti] = await enqueue(ds, stream, 1);
      expect(Object.keys((await polled).body.sets)).toEqual([jti]);
      await socket.until(() => socket.notices(id).length === 1, 'the subscriber');
      expect(socket.notices(id)[0].jti).toBe(jti);
    } finally {
      socket.close();
    }
  });
});
