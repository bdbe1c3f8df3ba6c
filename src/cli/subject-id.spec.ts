import { createHmac } from 'node:crypto';
import {
  luhnValid, normalizeCard, normalizeEmail, normalizeIdentifier, normalizeNationalId, normalizePhone, NormalizationError, parseLinkageKey, subjectIdOf,
} from './subject-id';

describe('identifier normalization (the examples of the README)', () => {
  it.each([
    ['+86 138 0013 8000', {}, '+8613800138000'],
    ['0086-138-0013-8000', {}, '+8613800138000'],
    ['(138) 0013.8000', { phoneCountry: '86' }, '+8613800138000'],
    ['020 7946 0018', { phoneCountry: '44' }, '+442079460018'],
    ['020 7946 0018', { phoneCountry: '+44' }, '+442079460018'],
    ['06 1234 5678', { phoneCountry: '39' }, '+390612345678'],
  ])('phone %s -> %s', (raw, o, expected) => {
    expect(normalizePhone(raw, o)).toBe(expected);
  });

  it.each([
    ['13800138000', {}, /country calling code/],
    ['+0123456789', {}, /E\.164/],
    ['+86 1380', {}, /E\.164/],
    ['+8613800138000000', {}, /E\.164/],
    ['138x0013', { phoneCountry: '86' }, /only digits/],
    ['13800138000', { phoneCountry: '8a' }, /--phone-country/],
  ])('phone %s is refused', (raw, o, message) => {
    expect(() => normalizePhone(raw, o)).toThrow(message);
  });

  it.each([
    ['11010519491231002x', '11010519491231002X'],
    [' 110105-19491231-002X ', '11010519491231002X'],
    ['ab 123.456/7', 'AB1234567'],
  ])('national id %s -> %s', (raw, expected) => {
    expect(normalizeNationalId(raw)).toBe(expected);
  });

  it.each(['1234', 'ABC_12345', '1'.repeat(33)])('national id %s is refused', (raw) => {
    expect(() => normalizeNationalId(raw)).toThrow(NormalizationError);
  });

  it.each([
    ['4111 1111 1111 1111', '4111111111111111'],
    ['4111-1111-1111-1111', '4111111111111111'],
    ['6222 0212 3456 7890 128', '6222021234567890128'],
  ])('card %s -> %s', (raw, expected) => {
    expect(luhnValid(expected)).toBe(true);
    expect(normalizeCard(raw)).toBe(expected);
  });

  it.each([
    ['4111 1111 1111 1112', /Luhn/],
    ['4111 1111 111', /12\.\.19 digits/],
    ['4111.1111.1111.1111', /12\.\.19 digits/],
  ])('card %s is refused', (raw, message) => {
    expect(() => normalizeCard(raw)).toThrow(message);
  });

  it.each([
    ['  Alice.Smith@Example.COM ', 'alice.smith@example.com'],
    ['alice+tag@example.com', 'alice+tag@example.com'],
    ['user@Bücher.de', 'user@xn--bcher-kva.de'],
  ])('email %s -> %s', (raw, expected) => {
    expect(normalizeEmail(raw)).toBe(expected);
  });

  it.each(['alice', '@example.com', 'alice@', 'a@b@example.com', 'al ice@example.com', 'alice@localhost'])('email %s is refused', (raw) => {
    expect(() => normalizeEmail(raw)).toThrow(NormalizationError);
  });
});

describe('subject id', () => {
  const key = Buffer.alloc(32, 7);

  it('is v1: + base64url(HMAC-SHA256(key, kind:value)), 46 characters', () => {
    const id = subjectIdOf(key, 'phone', '+8613800138000');
    const expected = 'v1:' + createHmac('sha256', key).update('phone:+8613800138000').digest('base64url');
    expect(id).toBe(expected);
    expect(id).toHaveLength(46);
  });

  it('depends on the kind: the same digits as a phone and as an id differ', () => {
    expect(subjectIdOf(key, 'phone', '+8613800138000')).not.toBe(subjectIdOf(key, 'national_id', '+8613800138000'));
  });

  it('gives one id for differently formatted inputs of one number', () => {
    const ids = ['+86 138 0013 8000', '0086 13800138000', '13800138000'].map((raw) => subjectIdOf(key, 'phone', normalizeIdentifier('phone', raw, { phoneCountry: '86' })));
    expect(new Set(ids).size).toBe(1);
  });
});

describe('linkage key', () => {
  it('reads base64 and base64url of at least 32 bytes', () => {
    const bytes = Buffer.from(Array.from({ length: 32 }, (_, i) => 250 - i));
    expect(parseLinkageKey(bytes.toString('base64') + '\n', 'file')).toEqual(bytes);
    expect(parseLinkageKey(bytes.toString('base64url'), 'file')).toEqual(bytes);
  });

  it('refuses a short key and text that is not base64, saying how to make one', () => {
    expect(() => parseLinkageKey(Buffer.alloc(16).toString('base64'), 'k')).toThrow(/16 bytes.*at least 32/);
    expect(() => parseLinkageKey('not a key!', 'k')).toThrow(/openssl rand -base64 32/);
    expect(parseLinkageKey(Buffer.alloc(32, 1).toString('base64'), 'k')).toHaveLength(32);
  });
});
