// Admission control: a bound on the work in flight, per partner and in total. Pure; no Nest import.

export interface AdmissionLimits {
  maxInflightCost: number;
  maxInflightCostPerPartner: number;
}

export interface Ticket {
  /** Returns the ticket's cost. Idempotent. */
  release(): void;
}

export type Admitted = { ok: true; ticket: Ticket } | { ok: false; reason: string };

/**
 * Cost of a request before its body is read: 1, plus 1 per KiB of body (a publishEvents batch
 * costs about one unit per token). A body of unknown length costs a partner's whole share.
 */
export function requestCost(contentLength: string | undefined, perPartnerLimit: number): number {
  const bytes = contentLength === undefined ? NaN : Number(contentLength);
  if (!Number.isFinite(bytes) || bytes < 0) return perPartnerLimit;
  return 1 + Math.ceil(bytes / 1024);
}

/**
 * Counts the cost of admitted, unfinished requests. Over either bound a request is refused at
 * once (never queued), so memory stays bounded whatever the load. A single request larger than
 * a partner's share is admitted when that partner has nothing else in flight (its cost is then
 * capped at the share), so a legitimate large batch is never refused forever.
 */
export class Admission {
  private total = 0;
  private readonly byPartner = new Map<string, number>();
  admittedCount = 0;
  refusedCount = 0;

  constructor(private readonly limits: AdmissionLimits) {}

  get inflightCost(): number {
    return this.total;
  }

  inflightOf(partner: string): number {
    return this.byPartner.get(partner) ?? 0;
  }

  tryAdmit(partner: string, requestedCost: number): Admitted {
    const cost = Math.max(1, Math.min(requestedCost, this.limits.maxInflightCostPerPartner));
    const mine = this.inflightOf(partner);
    if (mine > 0 && mine + cost > this.limits.maxInflightCostPerPartner) {
      this.refusedCount++;
      return { ok: false, reason: `this partner already has ${mine} of its ${this.limits.maxInflightCostPerPartner} units of work in flight` };
    }
    if (this.total > 0 && this.total + cost > this.limits.maxInflightCost) {
      this.refusedCount++;
      return { ok: false, reason: `the gateway has ${this.total} of its ${this.limits.maxInflightCost} units of work in flight` };
    }
    this.total += cost;
    this.byPartner.set(partner, mine + cost);
    this.admittedCount++;
    let released = false;
    return {
      ok: true,
      ticket: {
        release: () => {
          if (released) return;
          released = true;
          this.total -= cost;
          const left = this.inflightOf(partner) - cost;
          if (left > 0) this.byPartner.set(partner, left);
          else this.byPartner.delete(partner); // no entry per idle partner: the map stays small
        },
      },
    };
  }
}
