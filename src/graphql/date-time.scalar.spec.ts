import { Kind } from 'graphql';
import { AppError } from '../common/errors';
import { DateTimeScalar, MAX_DATE_TIME, MIN_DATE_TIME, parseDateTime } from './date-time.scalar';

const refused = (value: unknown) => {
  try {
    parseDateTime(value);
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).code).toBe('BAD_USER_INPUT');
    return (e as AppError).message;
  }
  throw new Error(`accepted ${String(value)}`);
};

describe('DateTime scalar', () => {
  it('parses RFC 3339 date-times with Z or an offset and up to nine fraction digits', () => {
    expect(parseDateTime('2026-01-31T09:00:00Z').toISOString()).toBe('2026-01-31T09:00:00.000Z');
    expect(parseDateTime('2026-01-31T17:00:00.25+08:00').toISOString()).toBe('2026-01-31T09:00:00.250Z');
    expect(parseDateTime('2026-01-31t09:00:00.123456789z').toISOString()).toBe('2026-01-31T09:00:00.123Z');
    expect(parseDateTime('2024-02-29T23:59:59-00:30').toISOString()).toBe('2024-03-01T00:29:59.000Z');
    expect(parseDateTime('0001-01-01T00:00:00Z').getTime()).toBe(MIN_DATE_TIME);
    expect(parseDateTime('0099-06-01T00:00:00Z').toISOString()).toBe('0099-06-01T00:00:00.000Z'); // not 1999
    expect(parseDateTime('9999-12-31T23:59:59.999Z').getTime()).toBe(MAX_DATE_TIME);
  });

  it('refuses what is not an RFC 3339 date-time, naming the problem', () => {
    for (const bad of ["2020-01-01'; DROP TABLE event;--", '2020-01-01', '2020-01-01T00:00:00', 'NaN', '', ' 2020-01-01T00:00:00Z', '+275760-09-13T00:00:00Z', '-000001-01-01T00:00:00Z']) {
      expect(refused(bad)).toMatch(/RFC 3339 date-time/);
    }
    for (const bad of ['2021-02-29T00:00:00Z', '2020-13-01T00:00:00Z', '2020-04-31T00:00:00Z', '2020-01-01T24:00:00Z', '2020-01-01T00:60:00Z', '2020-01-01T00:00:60Z', '2020-01-01T00:00:00+24:00']) {
      expect(refused(bad)).toMatch(/real calendar date/);
    }
    for (const bad of [0, 8.6e15, null, {}, ['2020-01-01T00:00:00Z']]) expect(refused(bad)).toMatch(/must be a string/);
    expect(refused('x'.repeat(10_000)).length).toBeLessThan(200); // never echoes a huge value
  });

  it('refuses instants outside 0001-01-01 .. 9999-12-31 UTC (what PostgreSQL and every client can hold)', () => {
    for (const bad of ['0000-12-31T23:59:59Z', '0001-01-01T00:00:00+00:01', '9999-12-31T23:59:59-00:01']) expect(refused(bad)).toMatch(/0001-01-01T00:00:00Z and 9999-12-31/);
    expect(parseDateTime('0001-01-01T00:00:00-00:01').toISOString()).toBe('0001-01-01T00:01:00.000Z');
  });

  it('refuses non-string literals and serializes dates as ISO strings', () => {
    expect(() => DateTimeScalar.parseLiteral({ kind: Kind.INT, value: '5' })).toThrow(/must be a string/);
    expect(DateTimeScalar.parseLiteral({ kind: Kind.STRING, value: '2026-01-31T09:00:00Z' })).toEqual(new Date('2026-01-31T09:00:00Z'));
    expect(DateTimeScalar.serialize(new Date('2026-01-31T09:00:00Z'))).toBe('2026-01-31T09:00:00.000Z');
  });
});
