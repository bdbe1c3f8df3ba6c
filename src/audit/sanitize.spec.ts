import { canonicalEntry } from './hash-chain';
import { MAX_AUDIT_ARRAY, MAX_AUDIT_STRING, MAX_AUDIT_TARGET, storableAuditFields, storableString } from './sanitize';

/** What PostgreSQL refuses in text and jsonb. */
const unstorable = (s: string) => /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);

describe('storable rendering of audit entries', () => {
  it('leaves ordinary entries exactly as they are, unmarked', () => {
    const details = { outcome: 'error', code: 'NOT_FOUND', message: 'no partner "x" — ünïcödé 😀', items: { 'bank-a': ['a', 'b'] }, n: 3, ok: true, none: null };
    expect(storableAuditFields('bank-a', details)).toEqual({ target: 'bank-a', details });
    expect(storableAuditFields(null, undefined)).toEqual({ target: null, details: {} });
  });

  it('escapes NUL and unpaired surrogates as visible text, keeps pairs, and marks the entry', () => {
    expect(storableString('a\u0000b')).toEqual({ value: 'a\\u0000b', changed: true });
    expect(storableString('x\ud800y\udfffz')).toEqual({ value: 'x\\ud800y\\udfffz', changed: true });
    expect(storableString('end\ud83d')).toEqual({ value: 'end\\ud83d', changed: true });
    expect(storableString('😀')).toEqual({ value: '😀', changed: false });
    const r = storableAuditFields('id\u0000', { message: 'no key "\ud800"', ['k\u0000']: ['\udc00'] });
    expect(r).toEqual({ target: 'id\\u0000', details: { message: 'no key "\\ud800"', 'k\\u0000': ['\\udc00'], sanitized: true } });
    expect(unstorable(JSON.stringify(r))).toBe(false);
    expect(unstorable(canonicalEntry({ seq: 1, at: 'x', actor: 'a', action: 'b', target: r.target, details: r.details }))).toBe(false);
  });

  it('cuts huge values, says how much was cut, and never splits a surrogate pair', () => {
    const long = 'x'.repeat(100_000);
    const r = storableAuditFields(long, { message: long });
    expect(r.target).toHaveLength(MAX_AUDIT_TARGET - 32 + '…[99776 more characters]'.length);
    expect(r.target).toMatch(/^x+…\[99776 more characters\]$/);
    expect((r.details.message as string).length).toBeLessThanOrEqual(MAX_AUDIT_STRING);
    expect(r.details.message).toMatch(/…\[97984 more characters\]$/);
    expect(r.details.sanitized).toBe(true);
    const emoji = 'a' + '😀'.repeat(200);
    const cut = storableString(emoji, MAX_AUDIT_TARGET).value;
    expect(unstorable(cut)).toBe(false);
    expect(cut.length).toBeLessThanOrEqual(MAX_AUDIT_TARGET);
    const many = storableAuditFields(null, { jtis: Array.from({ length: MAX_AUDIT_ARRAY + 5 }, (_, i) => `j${i}`) });
    expect((many.details.jtis as string[]).slice(-2)).toEqual([`j${MAX_AUDIT_ARRAY - 1}`, '…[5 more items]']);
  });

  it('turns values JSON cannot carry into strings, and cuts nesting', () => {
    const deep: Record<string, unknown> = {};
    let at = deep;
    for (let i = 0; i < 30; i++) at = (at.n = {}) as Record<string, unknown>;
    const r = storableAuditFields(null, { nan: NaN, inf: -Infinity, big: 10n, when: new Date(0), gone: undefined, deep });
    expect(r.details).toMatchObject({ nan: 'NaN', inf: '-Infinity', big: '10', when: '1970-01-01T00:00:00.000Z', sanitized: true });
    expect('gone' in r.details).toBe(false);
    expect(JSON.stringify(r.details)).toContain('[nested too deep]');
  });
});
