// The fan-out's two reads, one statement each per publishing batch: who receives which stored event,
// and who receives which tier change. Visibility comes from sharing/visibility.ts, with the viewer
// being each candidate stream's owner (a column, not a parameter). Arrays are answered as JSON:
// the driver parses JSON natively, and PostgreSQL array text with a much slower JavaScript parser.
// Pure strings.
import { fullAccess, sharingKindSql, visibleEvent, ViewerRefs } from '../../sharing/visibility';
import { PARTNER_EVENT_URI } from './notice-payload';

/** The stream owner as the viewer (`s` is the stream, `p` its owner partner). */
const OWNER: ViewerRefs = { viewerId: 's.owner', viewerShares: sharingKindSql('p.kind') };

const EVENT_URI_SQL = `CASE e.type ${Object.entries(PARTNER_EVENT_URI).map(([t, uri]) => `WHEN '${t}' THEN '${uri}'`).join(' ')} END`;

/**
 * (stream, event) pairs for stored events. $1 event ids, $2 their subjects, $3 their targets (the
 * event a retraction or lift acts on, else null), aligned. A stream is a candidate when it watches
 * the subject, or when it was delivered the target earlier (a correction must reach every earlier
 * recipient, watching or not). Then: the stream is not disabled, its owner is active, it requested
 * the event's type, and the owner may see the event (earlier recipients of the target always may:
 * they were shown what the correction un-says). `full_access` decides masking (sharing/masking.ts);
 * evidence and the original token, the bulky fields it withholds, are not
 * even read without it. Legal requests never match (they have no URI).
 */
export const PARTNER_EVENT_PAIRS_SQL = `WITH x AS (SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::uuid[]) AS x(event_id, subject, target)),
  cand AS (
    SELECT x.event_id, ss.stream_id, false AS earlier FROM x JOIN ssf_stream_subject ss ON ss.subject = x.subject
    UNION ALL
    SELECT x.event_id, d.stream_id, true FROM x JOIN delivery d ON d.event_id = x.target WHERE x.target IS NOT NULL),
  pairs AS (SELECT event_id, stream_id, bool_or(earlier) AS earlier FROM cand GROUP BY event_id, stream_id)
SELECT s.id AS stream_id, s.owner, s.aud, s.status, s.delivery_method, e.id, e.issuer, e.jti, e.subject, e.type, e.category, e.action,
  e.score::float8 AS score, e.confidence::float8 AS confidence, to_jsonb(e.reason_codes) AS reason_codes, e.distribution,
  e.observed_at, e.effective_at, e.expires_at, CASE WHEN f.fa THEN e.evidence END AS evidence, CASE WHEN f.fa THEN e.token END AS token,
  e.target_jti, e.details, f.fa AS full_access
FROM pairs c
JOIN ssf_stream s ON s.id = c.stream_id AND s.status <> 'disabled'
JOIN partner p ON p.id = s.owner AND p.status = 'ACTIVE'
JOIN event e ON e.id = c.event_id
CROSS JOIN LATERAL (SELECT ${fullAccess('e', OWNER)} AS fa OFFSET 0) f -- OFFSET 0: evaluated once, not inlined in each CASE
WHERE ${EVENT_URI_SQL} = ANY(s.events_requested)
  AND (c.earlier OR ${visibleEvent('e', OWNER)})
ORDER BY e.received_at, e.id, s.id`;

/**
 * (stream, tier change) pairs. $1: JSON rows {ord, subject, caused_by}; $2 the tier-change event
 * types; $3 the partner kinds that may read scores. `txn` is the jti of the last causing event the
 * owner may see (absent when it may see none), with its issuer for the transparency log.
 */
export const TIER_CHANGE_PAIRS_SQL = `WITH c AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS c(ord int, subject varchar, caused_by uuid[]))
SELECT c.ord, s.id AS stream_id, s.owner, s.aud, s.status, s.delivery_method, to_jsonb(s.events_requested) AS events_requested, cause.jti AS txn, cause.issuer AS txn_issuer
FROM c
JOIN ssf_stream_subject ss ON ss.subject = c.subject
JOIN ssf_stream s ON s.id = ss.stream_id AND s.status <> 'disabled' AND s.events_requested && $2::varchar[]
JOIN partner p ON p.id = s.owner AND p.status = 'ACTIVE' AND p.kind = ANY($3::varchar[])
LEFT JOIN LATERAL (
  SELECT e.jti, e.issuer FROM event e WHERE e.id = ANY(c.caused_by) AND ${visibleEvent('e', OWNER)}
  ORDER BY array_position(c.caused_by, e.id) DESC LIMIT 1) cause ON true
ORDER BY c.ord, s.id`;
