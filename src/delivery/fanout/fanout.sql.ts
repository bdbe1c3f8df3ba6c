// The fan-out's statements, one each per publishing batch: the notices of stored events (chosen,
// built and written in one statement), and who receives which tier change. Visibility comes from
// sharing/visibility.ts, with the viewer being each candidate stream's owner (a column, not a
// parameter). Arrays are answered as JSON:
// the driver parses JSON natively, and PostgreSQL array text with a much slower JavaScript parser.
// Pure strings.
import { sharingKindSql, visibleEvent, ViewerRefs } from '../../sharing/visibility';
import { DeliveryState } from '../delivery.entity';
import { enqueueSelectedSql } from '../outbox';
import { PUSH_METHOD, StreamStatus } from '../stream.entity';
import { PARTNER_EVENT_URI } from './notice-payload';

/** The stream owner as the viewer (`s` is the stream, `p` its owner partner). */
const OWNER: ViewerRefs = { viewerId: 's.owner', viewerShares: sharingKindSql('p.kind') };

const EVENT_URI_SQL = `CASE e.type ${Object.entries(PARTNER_EVENT_URI).map(([t, uri]) => `WHEN '${t}' THEN '${uri}'`).join(' ')} END`;

/**
 * The notices of stored events, written in one statement (outbox `enqueueSelectedSql`: insert and
 * NOTIFY). $1 event ids, $2 their subjects, $3 their targets (the event a retraction or lift acts
 * on, else null), aligned. A stream is a candidate when it watches the subject, or when it was
 * delivered the target earlier (a correction must reach every earlier recipient, watching or not).
 * Then: the stream is not disabled, its owner is active, it requested the event's type, and the
 * owner may see the event (earlier recipients of the target always may: they were shown what the
 * correction un-says). Legal requests never match (they have no URI).
 *
 * The payload is only `aud`, `sub_id` and `txn` (notice-payload.ts `awaitsEventClaims`): the
 * signer builds the event's member from the stored event at first send, masked by the receiver's
 * access at that moment (notice-signer.ts). So the publishing transaction neither decides full
 * access nor copies the event (its bulky token and evidence above all) into every row, and a grant
 * revoked before the first send takes effect. Answers one row: `disclosed`, [issuer, receiver,
 * jti] of each notice to a stream of another partner than the issuer (the transparency entry).
 */
export const PARTNER_EVENT_NOTICES_SQL = enqueueSelectedSql(
  `WITH x AS (SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::uuid[]) AS x(event_id, subject, target)),
  cand AS (
    -- One index probe per event (ix_ssf_stream_subject_subject); OFFSET 0 keeps the planner from
    -- turning it into a hash join over every watched subject of every stream (seq scan per batch).
    SELECT x.event_id, ss.stream_id, false AS earlier FROM x CROSS JOIN LATERAL (SELECT ss.stream_id FROM ssf_stream_subject ss WHERE ss.subject = x.subject OFFSET 0) ss
    UNION ALL
    SELECT x.event_id, d.stream_id, true FROM x JOIN delivery d ON d.event_id = x.target WHERE x.target IS NOT NULL),
  pairs AS (SELECT event_id, stream_id, bool_or(earlier) AS earlier FROM cand GROUP BY event_id, stream_id)
SELECT s.id AS stream_id, s.owner AS receiver, e.id AS event_id, u.uri AS event_type, e.issuer, e.jti,
  jsonb_build_object('aud', s.aud, 'sub_id', jsonb_build_object('format', 'opaque', 'id', e.subject), 'txn', e.jti) AS payload,
  CASE WHEN s.status = '${StreamStatus.PAUSED}' THEN '${DeliveryState.HELD}' ELSE '${DeliveryState.PENDING}' END AS state, s.delivery_method = '${PUSH_METHOD}' AS push
FROM pairs c
JOIN ssf_stream s ON s.id = c.stream_id AND s.status <> '${StreamStatus.DISABLED}'
JOIN partner p ON p.id = s.owner AND p.status = 'ACTIVE'
JOIN event e ON e.id = c.event_id
CROSS JOIN LATERAL (SELECT ${EVENT_URI_SQL} AS uri) u
WHERE u.uri = ANY(s.events_requested)
  AND (c.earlier OR ${visibleEvent('e', OWNER)})`,
  `SELECT woke.notified, coalesce((SELECT jsonb_agg(jsonb_build_array(n.issuer, n.receiver, n.jti)) FROM n WHERE n.receiver <> n.issuer), '[]'::jsonb) AS disclosed FROM woke`,
);

/**
 * (stream, tier change) pairs. $1: JSON rows {ord, subject, caused_by}; $2 the tier-change event
 * types; $3 the partner kinds that may read scores. `txn` is the jti of the last causing event the
 * owner may see (absent when it may see none), with its issuer for the transparency log.
 */
export const TIER_CHANGE_PAIRS_SQL = `WITH c AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS c(ord int, subject varchar, caused_by uuid[]))
SELECT c.ord, s.id AS stream_id, s.owner, s.aud, s.status, s.delivery_method, to_jsonb(s.events_requested) AS events_requested, cause.jti AS txn, cause.issuer AS txn_issuer
FROM c
CROSS JOIN LATERAL (SELECT ss.stream_id FROM ssf_stream_subject ss WHERE ss.subject = c.subject OFFSET 0) ss -- index probes, as above
JOIN ssf_stream s ON s.id = ss.stream_id AND s.status <> 'disabled' AND s.events_requested && $2::varchar[]
JOIN partner p ON p.id = s.owner AND p.status = 'ACTIVE' AND p.kind = ANY($3::varchar[])
LEFT JOIN LATERAL (
  SELECT e.jti, e.issuer FROM event e WHERE e.id = ANY(c.caused_by) AND ${visibleEvent('e', OWNER)}
  ORDER BY array_position(c.caused_by, e.id) DESC LIMIT 1) cause ON true
ORDER BY c.ord, s.id`;
