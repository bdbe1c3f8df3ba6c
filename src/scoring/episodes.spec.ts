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

  it('ends an episode exactly when the cooldown is reached, not a second earlier', () => {
    const history = [{ at: 0, tier: 'WARN' as const }, { at: D, tier: 'NONE' as const }];
    expect(episodesOf(history, 8 * D - 1, 7)).toEqual([{ start: 0, end: null }]);
    expect(episodesOf(history, 8 * D, 7)).toEqual([{ start: 0, end: 8 * D }]);
    // The same boundary when a later change arrives: at exactly the cooldown the episode has ended,
    // so a new WARN starts a second episode; a second earlier it continues the first.
    expect(episodesOf([...history, { at: 8 * D, tier: 'WARN' as const }], 9 * D, 7)).toEqual([{ start: 0, end: 8 * D }, { start: 8 * D, end: null }]);
    expect(episodesOf([...history, { at: 8 * D - 1, tier: 'WARN' as const }], 9 * D, 7)).toEqual([{ start: 0, end: null }]);
  });

  it('restarts the cooldown at MONITOR, and counts it from the first change below MONITOR', () => {
    const history = [
      { at: 0, tier: 'WARN' as const },
      { at: D, tier: 'NONE' as const },
      { at: 5 * D, tier: 'MONITOR' as const },
      { at: 6 * D, tier: 'NONE' as const },
      { at: 7 * D, tier: 'NONE' as const },
    ];
    // Without the MONITOR the episode would end at 8 days; with it, 7 days after 6 days.
    expect(episodesOf(history, 12 * D, 7)).toEqual([{ start: 0, end: null }]);
    expect(episodesOf(history, 13 * D, 7)).toEqual([{ start: 0, end: 13 * D }]);
    // RESTRICT and above count as WARN or above; MONITOR alone starts nothing.
    expect(episodesOf([{ at: 0, tier: 'MONITOR' }], D, 7)).toEqual([]);
    expect(episodesOf([{ at: 0, tier: 'FREEZE' }, { at: D, tier: 'RESTRICT' }], 2 * D, 7)).toEqual([{ start: 0, end: null }]);
  });

  it('reads the history in time order whatever order it comes in', () => {
    const sorted = [{ at: 0, tier: 'WARN' as const }, { at: D, tier: 'NONE' as const }, { at: 20 * D, tier: 'WARN' as const }];
    expect(episodesOf([sorted[2], sorted[0], sorted[1]], 30 * D, 7)).toEqual([{ start: 0, end: 8 * D }, { start: 20 * D, end: null }]);
  });

  it('counts an ended episode as a repeat from its end to exactly 365 days after it', () => {
    const ended = [{ start: 0, end: 10 * D }];
    expect(isRepeat(ended, 10 * D)).toBe(true);
    expect(isRepeat(ended, 10 * D - 1)).toBe(false);
    expect(isRepeat(ended, 375 * D)).toBe(true);
    expect(isRepeat(ended, 375 * D + 1)).toBe(false);
    expect(isRepeat([{ start: 0, end: null }], 10 * D)).toBe(false);
    expect(isRepeat([], 10 * D)).toBe(false);
  });
});
