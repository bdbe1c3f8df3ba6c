// Issue 11 finding 2: a client re-batching what was not acknowledged sends the same tokens again,
// in another order, while the first copies are still in flight. Every copy must get an answer
// (never a deadlock or serialization failure), and every token is stored exactly once.
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { TestDatabase, TestGateway, usingPostgres } from './support/app';
import { assertion, TestKey } from './support/keys';
import { signal } from './support/sets';

const PUBLISH = 'mutation($t: [String!]!) { publishEvents(tokens: $t) { index jti status eventId code description } }';
const ROUNDS = 40;
const COPIES = 4;
const BATCH = 60;
// Few subjects, so the copies also meet on the per-subject score locks.
const SUBJECTS = Array.from({ length: 6 }, (_, i) => `v1:concurrency-subject-${i}`);

/** A deterministic shuffle (a small LCG), so a failing round can be replayed. */
function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let x = seed;
  for (let i = out.length - 1; i > 0; i--) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

describe('concurrent reordered resends of one batch (e2e)', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  let bank: TestKey;

  beforeAll(async () => {
    db = await TestDatabase.create();
    gw = await TestGateway.start(db, { RETENTION_INTERVAL_SECONDS: '0', AUDIT_CHECKPOINT_SECONDS: '0' });
    bank = await gw.registerPartner('bank-a', 'BANK');
  });
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  it(`${ROUNDS} rounds of ${COPIES} concurrent copies of a ${BATCH}-token batch in different orders: no failed answer, each token stored once`, async () => {
    const failures: string[] = [];
    const ds = gw.app.get(DataSource);
    for (let round = 0; round < ROUNDS; round++) {
      const tokens = await Promise.all(
        Array.from({ length: BATCH }, (_, i) => signal(bank, 'bank-a', { score: (i % 10) / 10 }, { jti: `r${round}-t${i}`, subject: SUBJECTS[i % SUBJECTS.length] })),
      );
      const jtiOf = new Map(tokens.map((t, i) => [t, `r${round}-t${i}`]));
      const orders = [tokens, [...tokens].reverse(), shuffled(tokens, round * 7 + 1), shuffled(tokens, round * 7 + 2)];
      const bearer = await assertion(bank, 'bank-a');
      const answers = await Promise.all(orders.map((order) => gw.gql(PUBLISH, { t: order }, bearer)));

      const byJti = new Map<string, Array<{ status: string; eventId: string | null }>>();
      answers.forEach((res, copy) => {
        if (res.errors || !res.data) {
          failures.push(`round ${round} copy ${copy}: ${JSON.stringify(res.errors)}`);
          return;
        }
        for (const r of res.data.publishEvents) {
          if (r.jti !== jtiOf.get(orders[copy][r.index])) failures.push(`round ${round} copy ${copy}: answer ${r.index} names ${r.jti}`);
          byJti.set(r.jti, [...(byJti.get(r.jti) ?? []), { status: r.status, eventId: r.eventId }]);
        }
      });
      for (const [jti, outcomes] of byJti) {
        const accepted = outcomes.filter((o) => o.status === 'ACCEPTED').length;
        const duplicates = outcomes.filter((o) => o.status === 'DUPLICATE').length;
        const ids = new Set(outcomes.map((o) => o.eventId));
        if (accepted !== 1 || duplicates !== outcomes.length - 1 || ids.size !== 1 || ids.has(null)) failures.push(`round ${round} ${jti}: ${JSON.stringify(outcomes)}`);
      }
      const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM event WHERE jti LIKE $1`, [`r${round}-t%`]);
      if (n !== BATCH) failures.push(`round ${round}: ${n} rows stored`);
    }
    expect(failures).toEqual([]);
    // Every token of every round is stored once, and each publish call left its audit entry.
    expect(await ds.query(`SELECT count(*)::int AS n, count(DISTINCT jti)::int AS d FROM event`)).toEqual([{ n: ROUNDS * BATCH, d: ROUNDS * BATCH }]);
    const [{ calls, accepted }] = await ds.query(
      `SELECT count(*)::int AS calls, sum((details->>'accepted')::int)::int AS accepted FROM audit_log WHERE action = 'events.publish'`,
    );
    expect({ calls, accepted }).toEqual({ calls: ROUNDS * COPIES, accepted: ROUNDS * BATCH });
  }, 300_000); // 9,600 verified tokens on a shared 2-core machine

  // PGlite runs one connection at a time: no second writer to deadlock with.
  (usingPostgres() ? it : it.skip)('runs a transaction that PostgreSQL ends with a deadlock again: the client gets its answers', async () => {
    const tokens = [await signal(bank, 'bank-a', {}, { jti: 'dl-a' }), await signal(bank, 'bank-a', {}, { jti: 'dl-z' })];
    // A writer that ignores the global order (dl-z, then dl-a) and waits long before it checks for
    // a deadlock, so the gateway's transaction is the one PostgreSQL ends.
    const outside = new Client({ connectionString: db.url });
    const watcher = new Client({ connectionString: db.url });
    await outside.connect();
    await watcher.connect();
    const insertRow = (jti: string, token: string) =>
      outside.query(
        `INSERT INTO event (id, issuer, jti, kid, subject, type, category, score, confidence, distribution, grant_category, issued_at, expires_at, token, received_at)
         VALUES (gen_random_uuid(), 'bank-a', $1, $2, 'v1:d-J4Z9j6wE2SO7cuOdyyRJuK45akgoE6rVLZd2-mv5U', 'RISK_SIGNAL', 'cash_out', 0.8, 0.9, 'granted', 'cash_out', now(), now() + interval '1 day', $3, now()) RETURNING id`,
        [jti, bank.kid, token],
      );
    try {
      await outside.query(`BEGIN; SET LOCAL deadlock_timeout = '10s'`);
      const z = await insertRow('dl-z', tokens[1]);
      const pending = gw.as('bank-a', bank, PUBLISH, { t: tokens }); // inserts dl-a, then waits on dl-z
      for (let i = 0; i < 500; i++) {
        const [{ n }] = (await watcher.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).rows;
        if (n > 0) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      const a = await insertRow('dl-a', tokens[0]); // waits on the gateway: a deadlock, which ends the gateway's transaction
      await outside.query('COMMIT');
      const res = await pending;
      expect(res.errors).toBeUndefined();
      expect(res.data!.publishEvents.map((r: any) => [r.jti, r.status, r.eventId])).toEqual([
        ['dl-a', 'DUPLICATE', a.rows[0].id],
        ['dl-z', 'DUPLICATE', z.rows[0].id],
      ]);
    } finally {
      await outside.end();
      await watcher.end();
    }
    const [again] = (await gw.as('bank-a', bank, PUBLISH, { t: [await signal(bank, 'bank-a', {}, { jti: 'dl-after' })] })).data!.publishEvents;
    expect(again.status).toBe('ACCEPTED');
  });
});
