// The one seam for reacting to stored events (CONVENTIONS: one direction of dependency).
// `events/` stores facts and imports no module that reacts to them; scoring and delivery register
// here and run inside the publishing transaction, so what they write commits or rolls back with it.
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { StoredEventType } from './event.entity';

/** One event just stored (inserted in this transaction). */
export interface StoredEvent {
  id: string;
  issuer: string;
  jti: string;
  subject: string;
  type: StoredEventType;
  /** For a retraction or a lift: the id of the event it acts on (the issuer's own). */
  targetEventId: string | null;
  receivedAt: Date;
}

export type EventsStoredListener = (tx: EntityManager, events: StoredEvent[]) => Promise<void>;

/** Listener order: the score is updated before delivery fans out (delivery reads tier changes). */
export const HOOK_ORDER = { scoring: 100, delivery: 200 } as const;

@Injectable()
export class EventsStoredHook {
  private readonly listeners: Array<{ name: string; order: number; run: EventsStoredListener }> = [];

  /** Registers a listener (once per name), run in `order` for every stored batch. */
  register(name: string, order: number, run: EventsStoredListener): void {
    if (this.listeners.some((l) => l.name === name)) throw new Error(`events-stored listener "${name}" is registered twice`);
    this.listeners.push({ name, order, run });
    this.listeners.sort((a, b) => a.order - b.order);
  }

  /** Runs every listener in the publishing transaction; a failing listener fails the transaction. */
  async run(tx: EntityManager, events: StoredEvent[]): Promise<void> {
    if (!events.length) return;
    for (const l of this.listeners) await l.run(tx, events);
  }

  /** Names of the registered listeners, in order (tests check the wiring). */
  names(): string[] {
    return this.listeners.map((l) => l.name);
  }
}
