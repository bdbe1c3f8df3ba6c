import { episodesOf, isRepeat } from './episodes';

const D = 86_400;

describe('episodes', () => {
  it('starts at WARN, ends after the cooldown below MONITOR, and makes the next one a repeat', () => {
    const history = [
      { at: 0, tier: 'MONITOR' as const },
      { at: 1 * D, tier: 'WARN' as const },
      { at: 3 * D, tier: 'NONE' as const },
      { at: 20 * D, tier: 'RESTRICT' as const },
    ];
    const e = episodesOf(history, 30 * D, 7);
    expect(e).toEqual([{ start: 1 * D, end: 10 * D }, { start: 20 * D, end: null }]);
    expect(isRepeat(e, 30 * D)).toBe(true);
    expect(isRepeat(episodesOf(history.slice(0, 2), 30 * D, 7), 30 * D)).toBe(false);
  });

  it('does not end an episode that dips below MONITOR for less than the cooldown', () => {
    const e = episodesOf([{ at: 0, tier: 'WARN' }, { at: D, tier: 'NONE' }, { at: 3 * D, tier: 'WARN' }], 4 * D, 7);
    expect(e).toEqual([{ start: 0, end: null }]);
    expect(isRepeat(e, 4 * D)).toBe(false);
  });

  it('ends an episode at once with a zero cooldown, and forgets episodes older than a year', () => {
    const e = episodesOf([{ at: 0, tier: 'WARN' }, { at: D, tier: 'NONE' }], D, 0);
    expect(e).toEqual([{ start: 0, end: D }]);
    expect(isRepeat(e, D)).toBe(true);
    expect(isRepeat(e, 400 * D)).toBe(false);
  });
});
