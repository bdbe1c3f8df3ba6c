// Tier changes of the stored score, reported in the transaction that caused them. Scoring owns
// this seam; delivery registers with it (delivery sits above scoring, never the reverse).
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { ScoreHistory } from './score.entities';

export type ScoreChangesListener = (tx: EntityManager, changes: ScoreHistory[]) => Promise<void>;

@Injectable()
export class ScoreChangesHook {
  private readonly listeners: Array<{ name: string; run: ScoreChangesListener }> = [];

  register(name: string, run: ScoreChangesListener): void {
    if (this.listeners.some((l) => l.name === name)) throw new Error(`score-changes listener "${name}" is registered twice`);
    this.listeners.push({ name, run });
  }

  async run(tx: EntityManager, changes: ScoreHistory[]): Promise<void> {
    if (!changes.length) return;
    for (const l of this.listeners) await l.run(tx, changes);
  }
}
