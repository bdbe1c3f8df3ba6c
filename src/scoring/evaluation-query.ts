// The one statement that gathers what a score needs (signals, account flags, tier history and the
// issuers' trust weights), and the decoding of its answer. Pure: no Nest or TypeORM import.
//
// Why a delimited text answer rather than rows or JSON: per event row, PostgreSQL builds
// `concat_ws` text about three times faster than `json_build_array`, and the gateway splits it
// several times faster than the driver parses rows. Every field is either generated (uuid,
// number, boolean, enum) or validated at ingest against a pattern without control characters, so
// the unit (0x1F) and record (0x1E) separators cannot occur inside a field; the decoder checks the
// field count of every record anyway and fails closed.
import { GATEWAY_ISSUER_ID } from '../events/gateway-issuer';
import { fullAccess, visibleEvent } from '../sharing/visibility';
import type { LegalFreezeOrder, Tier } from './score-model';

const US = '\u001f';
const RS = '\u001e';

export interface EvaluatedSignal {
  id: string;
  subject: string;
  issuer: string;
  category: string;
  score: number;
  confidence: number;
  trustWeight: number;
  /** observed_at, or iat when absent (epoch seconds) */
  observed: number;
  issued: number;
  reasonCodes: string[] | null;
  visible: boolean;
  fullAccess: boolean;
}

/** Whether a subject has an active `freeze` or `close` flag from an ACTIVE bank, that the viewer may or may not see. */
export interface BankFreeze {
  visible: boolean;
  hidden: boolean;
}

export interface EvaluationInputs {
  /** Each ACTIVE issuer's latest standing signal per category: the only ones a score counts. */
  signals: EvaluatedSignal[];
  bankFreeze: BankFreeze;
  /**
   * The earliest standing gateway freeze flag on the subject (an approved legal freeze, README
   * "Freeze"), or null. Its distribution is consortium and the order is named in every viewer's rationale.
   */
  legalFreeze: LegalFreezeOrder | null;
  /** Tier changes up to the instant, oldest first (epoch seconds). */
  history: Array<{ at: number; tier: Tier }>;
}

/**
 * Parameters: $1 subjects (varchar[]), $2 the instant, and for a viewer $3 its id, $4 whether its
 * kind shares. Only ACTIVE issuers count; a flag counts once it has taken effect, and an event
 * until it expires. Reason codes travel only where the viewer has full access, the only place
 * they are shown; without a viewer (update on write) nothing is visible and the visibility
 * sub-queries are left out.
 *
 * Bounded whatever a subject holds: signals come back as each issuer's latest per category (what
 * the model counts; categories are a closed list), and flags as two booleans per subject (a bank's
 * freeze or close that the viewer may see, and one it may not). A subject with 10,000 flags costs
 * two index probes, not 10,000 rows on the event loop; the flags themselves are read page by page
 * (activeFlags) only when asked for.
 *
 * `asOf` (a past instant): the events received by $2 and not yet retracted or lifted at $2, and
 * the tier history up to $2. Otherwise (now, including update on write): the events as they stand
 * (ACTIVE) and all the history, with no cut on timestamps another replica's clock wrote, so a
 * replica whose clock is behind still sees every committed event and no retracted one.
 */
export function evaluationSql(forViewer: boolean, asOf: boolean): string {
  const refs = { viewerId: '$3::varchar', viewerShares: '$4::boolean' };
  const visible = forViewer ? `coalesce(${visibleEvent('e', refs)}, false)` : 'false';
  const full = forViewer ? `coalesce(${fullAccess('e', refs)}, false)` : 'false';
  const standing = `${asOf ? `(e.status = 'ACTIVE' OR e.status_changed_at > $2) AND e.received_at <= $2` : `e.status = 'ACTIVE'`} AND (e.expires_at IS NULL OR e.expires_at > $2)`;
  const activeIssuer = (kind = '') => `EXISTS (SELECT 1 FROM partner p WHERE p.id = e.issuer AND p.status = 'ACTIVE'${kind})`;
  const bankFreeze = (seen: boolean) => `EXISTS (SELECT 1 FROM event e WHERE e.subject = x.subject AND e.type = 'ACCOUNT_FLAG' AND e.action IN ('freeze', 'close')
      AND coalesce(e.effective_at, e.issued_at) <= $2 AND ${standing} AND ${activeIssuer(` AND p.kind = 'BANK'`)} AND ${seen ? visible : `NOT ${visible}`})`;
  // The gateway's own freeze flag (issuer @gateway, never a partner): counts while standing, whatever the viewer.
  const legalFreeze = `SELECT DISTINCT ON (e.subject) e.subject, e.details->>'legal_request_id' AS request_id, e.details->>'case_reference' AS case_reference
      FROM event e WHERE e.subject = ANY($1::varchar[]) AND e.type = 'ACCOUNT_FLAG' AND e.action = 'freeze' AND e.issuer = '${GATEWAY_ISSUER_ID}'
      AND coalesce(e.effective_at, e.issued_at) <= $2 AND ${standing}
      ORDER BY e.subject, e.issued_at, e.id`;
  const f = (...fields: string[]) => `concat_ws(chr(31), ${fields.join(', ')})`;
  return `WITH latest AS MATERIALIZED (
    SELECT DISTINCT ON (e.subject, e.issuer, e.category) e.id, e.subject, e.issuer, e.category, e.score, e.confidence,
      coalesce(e.observed_at, e.issued_at) AS observed, e.issued_at, e.reason_codes, e.distribution, e.grant_category
    FROM event e
    WHERE e.subject = ANY($1::varchar[]) AND e.type = 'RISK_SIGNAL' AND ${standing} AND ${activeIssuer()}
    ORDER BY e.subject, e.issuer, e.category, e.issued_at DESC, e.id DESC
  ), ev AS MATERIALIZED (SELECT e.*, ${visible} AS visible, ${full} AS full_access FROM latest e)
  SELECT
    (SELECT string_agg(${f(
      'e.id',
      'e.subject',
      'e.issuer',
      'e.category',
      `coalesce(e.score::text, '')`,
      `coalesce(e.confidence::text, '')`,
      `date_part('epoch', e.observed)`,
      `date_part('epoch', e.issued_at)`,
      'e.visible',
      'e.full_access',
      `CASE WHEN e.full_access AND e.reason_codes IS NOT NULL THEN '{' || array_to_string(e.reason_codes, ',') || '}' ELSE '' END`,
    )}, chr(30)) FROM ev e) AS events,
    (SELECT string_agg(${f('b.subject', 'b.seen', 'b.hidden')}, chr(30)) FROM (
      SELECT x.subject, ${forViewer ? bankFreeze(true) : 'false'} AS seen, ${bankFreeze(false)} AS hidden
      FROM (SELECT DISTINCT s AS subject FROM unnest($1::varchar[]) s) x) b) AS flags,
    (SELECT string_agg(${f('p.id', 'p.trust_weight', 'p.kind')}, chr(30))
      FROM partner p WHERE p.status = 'ACTIVE' AND p.id IN (SELECT issuer FROM ev)) AS issuers,
    (SELECT string_agg(${f('h.subject', `date_part('epoch', h.at)`, 'h.tier')}, chr(30) ORDER BY h.at, h.id)
      FROM score_history h WHERE h.subject = ANY($1::varchar[])${asOf ? ' AND h.at <= $2' : ''}) AS history,
    (SELECT json_agg(json_build_array(l.subject, l.request_id, l.case_reference))::text FROM (${legalFreeze}) l) AS legal`;
}

export interface EvaluationAnswer {
  events: string | null;
  flags: string | null;
  issuers: string | null;
  history: string | null;
  /** JSON text: [[subject, legal request id, case reference], ...] (case references are free text, so not delimited). */
  legal?: string | null;
}

function records(text: string | null, fields: number, what: string): string[][] {
  if (!text) return [];
  return text.split(RS).map((r) => {
    const parts = r.split(US);
    if (parts.length !== fields) throw new Error(`evaluation answer: ${what} record has ${parts.length} fields, not ${fields}`);
    return parts;
  });
}

function num(s: string, what: string): number {
  const n = Number(s);
  if (s === '' || !Number.isFinite(n)) throw new Error(`evaluation answer: ${what} "${s.slice(0, 20)}" is not a number`);
  return n;
}

/** Decodes the answer into each subject's inputs; events of issuers that are not ACTIVE are left out. */
export function decodeEvaluation(answer: EvaluationAnswer, subjects: readonly string[]): Map<string, EvaluationInputs> {
  const out = new Map<string, EvaluationInputs>(subjects.map((s) => [s, { signals: [], bankFreeze: { visible: false, hidden: false }, legalFreeze: null, history: [] }]));
  const issuers = new Map(records(answer.issuers, 3, 'issuer').map(([id, weight, kind]) => [id, { weight: num(weight, 'trust weight'), kind }]));
  for (const [id, subject, issuer, category, score, confidence, observed, issued, visible, full, codes] of records(answer.events, 11, 'event')) {
    const into = out.get(subject);
    const from = issuers.get(issuer);
    if (!into || !from) continue;
    into.signals.push({
      id, subject, issuer, category, score: num(score, 'score'), confidence: confidence === '' ? 1 : num(confidence, 'confidence'), trustWeight: from.weight,
      observed: num(observed, 'observed_at'), issued: num(issued, 'issued_at'), visible: visible === 't', fullAccess: full === 't',
      reasonCodes: codes === '' ? null : codes === '{}' ? [] : codes.slice(1, -1).split(','),
    });
  }
  for (const [subject, seen, hidden] of records(answer.flags, 3, 'flag')) {
    const into = out.get(subject);
    if (into) into.bankFreeze = { visible: seen === 't', hidden: hidden === 't' };
  }
  for (const [subject, requestId, caseReference] of legalOrders(answer.legal)) {
    const into = out.get(subject);
    if (into) into.legalFreeze = { requestId, caseReference };
  }
  for (const [subject, at, tier] of records(answer.history, 3, 'history')) out.get(subject)?.history.push({ at: num(at, 'history at'), tier: tier as Tier });
  return out;
}

function legalOrders(text: string | null | undefined): string[][] {
  if (!text) return [];
  const rows = JSON.parse(text) as unknown;
  if (!Array.isArray(rows) || !rows.every((r) => Array.isArray(r) && r.length === 3 && r.every((x) => typeof x === 'string'))) {
    throw new Error('evaluation answer: legal freeze records must be [subject, request id, case reference]');
  }
  return rows as string[][];
}
