// Episodes from a subject's tier history. Pure.
import { Tier, TIERS } from './score-model';

export interface TierChange {
  /** Seconds since the epoch. */
  at: number;
  tier: Tier;
}

export interface Episode {
  start: number;
  /** When the subject had stayed below MONITOR for the cooldown; null while the episode lasts. */
  end: number | null;
}

const rank = (t: Tier) => TIERS.indexOf(t);

/**
 * An episode starts when the subject first reaches WARN or above, and ends once it has stayed
 * below MONITOR for `cooldownDays`.
 */
export function episodesOf(history: readonly TierChange[], now: number, cooldownDays: number): Episode[] {
  const cooldown = cooldownDays * 86_400;
  const episodes: Episode[] = [];
  let current: Episode | null = null;
  let belowSince: number | null = null;
  const changes = [...history].sort((a, b) => a.at - b.at);
  for (const c of changes) {
    if (current && belowSince !== null && c.at - belowSince >= cooldown) {
      current.end = belowSince + cooldown;
      current = null;
    }
    if (rank(c.tier) >= rank('WARN')) {
      if (!current) {
        current = { start: c.at, end: null };
        episodes.push(current);
      }
      belowSince = null;
    } else if (rank(c.tier) < rank('MONITOR')) {
      belowSince ??= c.at;
    } else {
      belowSince = null; // MONITOR: not below MONITOR, the cooldown restarts
    }
  }
  if (current && belowSince !== null && now - belowSince >= cooldown) current.end = belowSince + cooldown;
  return episodes;
}

/** A repeat subject has an earlier episode (not the one in progress) within the last 365 days. */
export function isRepeat(episodes: readonly Episode[], now: number): boolean {
  const yearAgo = now - 365 * 86_400;
  return episodes.some((e) => e.end !== null && e.end >= yearAgo && e.end <= now);
}
