// Reading the chain and checking checkpoint signatures, shared by the gateway and the offline CLI.
// Pure: no Nest or TypeORM import.
import { compactVerify, type createLocalJWKSet } from 'jose';
import type { StoredAuditRow } from './hash-chain';

export const CHECKPOINT_TYP = 'audit-checkpoint+jwt';

/**
 * Reads audit rows in seq order with raw SQL (the gateway and the CLI read the same shape).
 * `at` comes as epoch milliseconds: parsing a number is much cheaper than a timestamp string.
 */
export async function fetchAuditRows(query: (sql: string, params: unknown[]) => Promise<StoredAuditRow[]>, afterSeq: number, limit: number, toSeq?: number) {
  return query(
    `SELECT seq, (extract(epoch FROM at) * 1000)::float8 AS at, actor, action, target, details, prev_hash, hash FROM audit_log WHERE seq > $1 ${toSeq !== undefined ? 'AND seq <= $3' : ''} ORDER BY seq LIMIT $2`,
    toSeq !== undefined ? [afterSeq, limit, toSeq] : [afterSeq, limit],
  );
}

/** Verifies a checkpoint JWS against a JWKS and returns its payload. */
export async function verifyCheckpointSignature(
  jws: string,
  keys: ReturnType<typeof createLocalJWKSet>,
): Promise<{ seq: number; hash: string; at: number }> {
  if (typeof jws !== 'string' || jws.length > 4096) throw new Error('checkpoint must be a compact JWS of at most 4 KiB');
  const { payload, protectedHeader } = await compactVerify(jws, keys, { algorithms: ['EdDSA'] }).catch(() => {
    throw new Error('the signature does not verify with the gateway key');
  });
  if (protectedHeader.typ !== CHECKPOINT_TYP) throw new Error(`typ must be ${CHECKPOINT_TYP}`);
  const body = JSON.parse(new TextDecoder().decode(payload)) as { seq?: unknown; hash?: unknown; at?: unknown };
  if (!Number.isInteger(body.seq) || typeof body.hash !== 'string' || !/^[0-9a-f]{64}$/.test(body.hash) || typeof body.at !== 'number') {
    throw new Error('payload must be {seq, hash, at}');
  }
  return body as { seq: number; hash: string; at: number };
}
