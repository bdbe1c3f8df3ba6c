import { Injectable, OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditAction, SYSTEM_ACTOR } from '../../audit/audit.actions';
import { AuditService } from '../../audit/audit.service';
import { kindHas, Permission } from '../../auth/permissions';
import { preparedQuery } from '../../database/prepared';
import { EventsStoredHook, HOOK_ORDER, StoredEvent } from '../../events/events-stored.hook';
import { PartnerKind } from '../../partners/partner.enums';
import { ScoreChangesHook } from '../../scoring/score-changes.hook';
import type { ScoreHistory } from '../../scoring/score.entities';
import { DeliveryState } from '../delivery.entity';
import { enqueueNotices, NewNotice } from '../outbox';
import { PUSH_METHOD, StreamStatus } from '../stream.entity';
import { PARTNER_EVENT_NOTICES_SQL, TIER_CHANGE_PAIRS_SQL } from './fanout.sql';
import { CAEP_RISK_LEVEL_URI, NoticeClaims, PARTNER_EVENT_URI, TIER_CHANGED_URI, tierChangeClaims } from './notice-payload';

interface StreamCols {
  stream_id: string;
  owner: string;
  aud: string;
  status: string;
  delivery_method: string;
}

/** The one row of the partner-event statement: [issuer, receiver, jti] of each notice to another partner. */
interface EventNoticesRow {
  notified: number;
  disclosed: Array<[string, string, string]>;
}

interface TierPairRow extends StreamCols {
  ord: number;
  events_requested: string[];
  txn: string | null;
  txn_issuer: string | null;
}

/** Per issuer: receiver -> jtis of the issuer's events that reached it (the transparency entry). */
type Disclosures = Map<string, { delivered: Map<string, Set<string>>; tierTxns: Map<string, Set<string>> }>;

const DELIVERED_TYPES = new Set<string>(Object.keys(PARTNER_EVENT_URI));
const TIER_TYPES = [TIER_CHANGED_URI, CAEP_RISK_LEVEL_URI];
/** Tier changes go to owners that may read scores (the permission table decides, not a copy of it). */
const SCORE_READERS = Object.values(PartnerKind).filter((k) => kindHas(k, Permission.ReadRiskScores));

/**
 * The delivery fan-out: inside the publishing transaction, turns stored events and tier changes
 * into notices in the delivery ledger/outbox (one SET per stream), filtered by the receiver's
 * sharing rules, and records in each issuer's audit trail who received its events. A partner
 * event's notice is masked when it is first signed (NoticeSigner), by the receiver's access then.
 *
 * A partner's own stream receives its own events (full access): a bank's publishing system and the
 * system consuming its stream are often not the same, and the echo confirms what the exchange holds
 * about the subject. Only deliveries to other partners are audited as disclosures.
 */
@Injectable()
export class FanoutService implements OnModuleInit {
  /**
   * Tier-change disclosures of a transaction, waiting for its one audit entry: scoring reports tier
   * changes from its events-stored listener, which runs before delivery's (the only caller today).
   */
  private readonly pending = new WeakMap<EntityManager, Disclosures>();

  constructor(
    private readonly eventsStored: EventsStoredHook,
    private readonly scoreChanges: ScoreChangesHook,
    private readonly audit: AuditService,
  ) {}

  onModuleInit(): void {
    this.eventsStored.register('delivery', HOOK_ORDER.delivery, (tx, events) => this.onEventsStored(tx, events));
    this.scoreChanges.register('delivery', (tx, changes) => this.onScoreChanges(tx, changes));
  }

  /**
   * Stored events: one statement chooses every (stream, event) pair with visibility in SQL, inserts
   * the notices (aud, sub_id, txn) and wakes their streams (fanout.sql.ts); then one audit entry per issuer
   * whose events reached another partner (tier changes of this transaction included: scoring runs
   * before delivery in the same hook, HOOK_ORDER).
   */
  async onEventsStored(tx: EntityManager, events: StoredEvent[]): Promise<void> {
    const disclosures = this.pending.get(tx) ?? new Map();
    this.pending.delete(tx);
    const deliverable = events.filter((e) => DELIVERED_TYPES.has(e.type)); // never legal requests
    if (deliverable.length) {
      const [row] = await preparedQuery<EventNoticesRow>(tx, 'rx_fanout_event_notices', PARTNER_EVENT_NOTICES_SQL, [
        deliverable.map((e) => e.id),
        deliverable.map((e) => e.subject),
        deliverable.map((e) => e.targetEventId),
      ]);
      for (const [issuer, receiver, jti] of row.disclosed) disclose(disclosures, issuer, receiver, jti, 'delivered');
    }
    await this.recordDisclosures(tx, disclosures);
  }

  /** Tier changes: the native and/or CAEP notice to streams watching the subject, by what each requested. */
  async onScoreChanges(tx: EntityManager, changes: ScoreHistory[]): Promise<void> {
    const rows = await preparedQuery<TierPairRow>(tx, 'rx_fanout_tiers', TIER_CHANGE_PAIRS_SQL, [
      JSON.stringify(changes.map((c, ord) => ({ ord, subject: c.subject, caused_by: c.causedBy }))),
      TIER_TYPES,
      SCORE_READERS,
    ]);
    if (!rows.length) return;
    const notices: NewNotice[] = [];
    const disclosures = this.pending.get(tx) ?? new Map();
    for (const r of rows) {
      for (const n of tierChangeClaims(changes[r.ord], r.events_requested, r.aud, r.txn)) notices.push(notice(r, n.eventType, n.claims));
      if (r.txn && r.txn_issuer && r.txn_issuer !== r.owner) disclose(disclosures, r.txn_issuer, r.owner, r.txn, 'tierTxns');
    }
    await enqueueNotices(tx, notices);
    if (disclosures.size) this.pending.set(tx, disclosures);
  }

  /**
   * One audit entry per issuer, `concerns: [issuer]`, in the publishing transaction. It takes the
   * append lock just before the ingest's own entry does (the lock is held a statement longer; the
   * ingest bench with streams measures it), and only when another partner received something.
   */
  private async recordDisclosures(tx: EntityManager, disclosures: Disclosures): Promise<void> {
    for (const [issuer, d] of disclosures) {
      const details: Record<string, unknown> = { delivered: listed(d.delivered) };
      if (d.tierTxns.size) details.tier_changes_naming = listed(d.tierTxns);
      await this.audit.append(tx, { actor: SYSTEM_ACTOR, action: AuditAction.DeliveriesEnqueue, details, concerns: [issuer] });
    }
  }
}

/** A tier-change notice for one stream (partner events are written by their one statement). */
function notice(r: StreamCols, eventType: string, claims: NoticeClaims): NewNotice {
  return {
    streamId: r.stream_id,
    receiver: r.owner,
    eventId: null,
    eventType,
    payload: claims as unknown as Record<string, unknown>,
    state: r.status === StreamStatus.PAUSED ? DeliveryState.HELD : DeliveryState.PENDING,
    push: r.delivery_method === PUSH_METHOD,
  };
}

function disclose(d: Disclosures, issuer: string, receiver: string, jti: string, kind: 'delivered' | 'tierTxns'): void {
  let entry = d.get(issuer);
  if (!entry) d.set(issuer, (entry = { delivered: new Map(), tierTxns: new Map() }));
  let jtis = entry[kind].get(receiver);
  if (!jtis) entry[kind].set(receiver, (jtis = new Set()));
  jtis.add(jti);
}

const listed = (m: Map<string, Set<string>>) => Object.fromEntries([...m].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, [...v].sort()]));
