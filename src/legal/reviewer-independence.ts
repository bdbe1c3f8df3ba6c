// Four-eyes between people, not only between partner ids. Reviewers are OPERATOR partners, and an
// OPERATOR may register partners and add keys to any partner: without this check one officer could
// add a key of its own to a second officer (or register a second officer, or a court) and approve
// twice. The audit log says who onboarded whom; an approval is refused when the reviewer and the
// request's other parties are not independent of each other by it. The bootstrap operator, whose
// keys come from the deployment's OPERATOR_JWKS, registers partners and replaces lost keys as its
// job: it is the root of trust, and what it does does not make partners dependent (README "Legal
// requests"); independence can be no stronger than the onboarding it starts from.
import type { EntityManager } from 'typeorm';
import { AuditAction } from '../audit/audit.actions';

/** For each partner, the other partners that onboarded it: registered it, or added a key to it (the bootstrap operator excepted, see above). */
const ONBOARDERS_SQL = `SELECT a.target AS partner, a.actor, a.action, a.details->>'kid' AS kid FROM audit_log a
  WHERE a.target = ANY($1::varchar[]) AND a.action = ANY($2::varchar[]) AND a.details->>'outcome' = 'ok' AND a.actor <> a.target
    AND a.actor <> $3`;

export interface Parties {
  reviewer: string;
  /** The key the reviewer signed this approval's assertion with. */
  reviewerKid: string;
  requester: string;
  earlierApprovers: readonly string[];
  bootstrapOperator: string;
}

/** Why the reviewer is not independent of the requester or an earlier approver, or null. */
export async function independenceRefusal(m: EntityManager, p: Parties): Promise<string | null> {
  const partners = [...new Set([p.reviewer, p.requester, ...p.earlierApprovers])];
  const rows = (await m.query(ONBOARDERS_SQL, [partners, [AuditAction.PartnerRegister, AuditAction.KeyAdd], p.bootstrapOperator])) as Array<{ partner: string; actor: string; action: string; kid: string | null }>;
  const onboarders = (partner: string) => new Set(rows.filter((r) => r.partner === partner).map((r) => r.actor));
  const others = [p.requester, ...p.earlierApprovers];
  // The key this approval is signed with was added by the requester or an earlier approver.
  const keyAdder = rows.find((r) => r.partner === p.reviewer && r.action === AuditAction.KeyAdd && r.kid === p.reviewerKid && others.includes(r.actor));
  if (keyAdder) return `cannot approve: the key ${p.reviewerKid} you signed with was added by ${keyAdder.actor}, who is a party to this request (four-eyes needs independent reviewers)`;
  const mine = onboarders(p.reviewer);
  for (const other of others) {
    if (mine.has(other)) return `cannot approve: ${other}, a party to this request, registered you or added one of your keys (four-eyes needs independent reviewers)`;
    if (onboarders(other).has(p.reviewer)) return `cannot approve: you registered ${other === p.requester ? 'the requester' : other} or added one of its keys (four-eyes needs independent reviewers)`;
    const shared = [...onboarders(other)].find((a) => mine.has(a));
    if (shared) return `cannot approve: ${shared} registered or added keys to both you and ${other === p.requester ? 'the requester' : other} (four-eyes needs independent reviewers)`;
  }
  return null;
}
