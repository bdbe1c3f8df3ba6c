import { EventRecord, EventStatus, StoredEventType } from './event.entity';
import { storageProblem } from './events.ingest.service';

const row = (over: Partial<EventRecord> = {}): EventRecord => ({
  id: '00000000-0000-4000-8000-000000000001', issuer: 'bank-a', jti: 'j-1', kid: 'k-1', subject: 'v1:abcdefgh', type: StoredEventType.ACCOUNT_FLAG,
  category: null, action: 'warn', score: null, confidence: null, reasonCodes: ['a_b'], distribution: 'consortium', grantCategory: 'account_flag',
  observedAt: null, issuedAt: new Date(1_764_000_000_000), effectiveAt: new Date(1_764_000_000_000), expiresAt: null, evidence: null, txn: null,
  targetJti: null, details: null, token: 'a.b.c', receivedAt: new Date(1_764_000_000_000), status: EventStatus.ACTIVE, statusChangedAt: null,
  statusChangedBy: null, legalHold: false, ...over,
});

describe('storageProblem: what PostgreSQL could not store', () => {
  it('names a timestamp outside 0..253402300799 s, or an invalid one', () => {
    expect(storageProblem(row({ effectiveAt: new Date(8.6e15) }))).toBe('effectiveAt is outside 0..253402300799 (NumericDate)');
    expect(storageProblem(row({ expiresAt: new Date(NaN) }))).toMatch(/^expiresAt is outside/);
    expect(storageProblem(row({ observedAt: new Date(-1) }))).toMatch(/^observedAt is outside/);
    expect(storageProblem(row({ expiresAt: new Date(253402300799_999) }))).toBeNull();
  });

  it('names text or jsonb holding U+0000 or a lone surrogate, in any column', () => {
    expect(storageProblem(row({ txn: 'a\u0000' }))).toBe('cannot be stored: txn holds U+0000');
    expect(storageProblem(row({ evidence: { deep: [{ ['k\udc00']: 1 }] } }))).toBe('cannot be stored: evidence.deep[0] member name holds an unpaired surrogate');
    expect(storageProblem(row({ details: { reason: 'x\ud800' } }))).toBe('cannot be stored: details.reason holds an unpaired surrogate');
    expect(storageProblem(row({ reasonCodes: ['ok', '\u0000'] }))).toBe('cannot be stored: reason_codes[1] holds U+0000');
    expect(storageProblem(row({ evidence: { note: 'caf\u00e9 \ud83d\ude00' } }))).toBeNull();
    expect(storageProblem(row())).toBeNull();
  });
});
