import fc from 'fast-check';
import { findBadString, stringProblem } from './input-strings';

describe('stringProblem', () => {
  it('refuses U+0000 and unpaired surrogates, naming the position', () => {
    expect(stringProblem('ab\u0000')).toBe('must not contain U+0000 (NUL) (at character 2)');
    expect(stringProblem('\ud800')).toMatch(/unpaired surrogate U\+D800 \(at character 0\)/);
    expect(stringProblem('x\udfff')).toMatch(/unpaired surrogate U\+DFFF \(at character 1\)/);
    expect(stringProblem('\udc00\ud800')).toMatch(/U\+DC00/);
    expect(stringProblem('\ud83d\ud83d\udea8')).toMatch(/U\+D83D \(at character 0\)/);
  });

  it('accepts any well-formed text, surrogate pairs included', () => {
    for (const ok of ['', 'v1:abc', 'fraud ops \u{1F6A8}', "'; DROP TABLE event;--", '\u0001\u007f\uffff', '\ud83d\udea8']) expect(stringProblem(ok)).toBeUndefined();
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (s) => stringProblem(s) === undefined || s.includes('\u0000')));
  });

  it('agrees with String.prototype.isWellFormed on arbitrary UTF-16', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.array(fc.integer({ min: 0xd800, max: 0xdfff }), { maxLength: 3 }), (s, units) => {
        const text = s.replace(/\u0000/g, '') + String.fromCharCode(...units);
        return (stringProblem(text) === undefined) === (text as unknown as { isWellFormed(): boolean }).isWellFormed();
      }),
    );
  });
});

describe('findBadString', () => {
  it('names the path of the first bad string inside lists and objects, keys included', () => {
    expect(findBadString({ subject: 'ok', categories: ['a', 'b\u0000'] })).toEqual({ path: '.categories[1]', problem: expect.stringMatching(/U\+0000/) });
    expect(findBadString(['x', { y: '\ud800' }])).toEqual({ path: '[1].y', problem: expect.stringMatching(/surrogate/) });
    expect(findBadString({ 'k\u0000': 1 })).toEqual({ path: ' (a field name)', problem: expect.stringMatching(/U\+0000/) });
    expect(findBadString('\u0000')).toEqual({ path: '', problem: expect.any(String) });
    expect(findBadString({ a: [1, true, null, 'fine', { b: 2.5 }] })).toBeUndefined();
  });
});
