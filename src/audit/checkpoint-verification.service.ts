import { Injectable } from '@nestjs/common';
import { createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { DataSource, EntityManager } from 'typeorm';
import { AppError, ErrorCode } from '../common/errors';
import { GatewayKeyService } from '../gateway/gateway-key.service';
import { fetchAuditRows, verifyCheckpointSignature } from './chain-io';
import type { VerificationResult } from './audit.service';
import { ChainVerification, GENESIS_HASH, verifyChain } from './hash-chain';

/** Most walks of new entries at once on one replica; more answer RATE_LIMITED at once. */
export const MAX_CONCURRENT_WALKS = 2;
const RETRY_AFTER_S = 1;

interface Mark {
  seq: number;
  hash: string;
}

/**
 * Checks a checkpoint a partner kept, at a cost that follows what is new rather than the length
 * of the log. The gateway keeps a mark (`audit_verified_mark`): the chain up to `seq` was hashed
 * and linked by the gateway itself, ending at `hash`.
 *
 * - A checkpoint beyond the mark: the entries from the mark to the checkpoint are hashed and
 *   linked to the mark, the last must give the signed hash, and the mark moves there. At most
 *   MAX_CONCURRENT_WALKS of these run at once per replica.
 * - A checkpoint at or before the mark: its entry must still hash, from its contents and the
 *   previous entry's hash, to the signed hash. Entries before it were verified when the mark
 *   passed them; one altered since then, with the checkpoint's entry left intact, is found by
 *   the operator's full `verifyAudit` (which also moves the mark back to the last intact entry).
 *
 * The mark is not signed: it only decides where a walk starts. Forging it can hide a break
 * before it (as above), never make the chain give a checkpoint's hash that it does not give.
 */
@Injectable()
export class CheckpointVerificationService {
  private walks = 0;

  constructor(
    private readonly db: DataSource,
    private readonly gatewayKey: GatewayKeyService,
  ) {}

  async verify(jws: string, retryAfter?: (seconds: number) => void): Promise<VerificationResult> {
    const payload = await verifyCheckpointSignature(jws, createLocalJWKSet(this.gatewayKey.jwks() as JSONWebKeySet)).catch((e: Error) => e);
    if (payload instanceof Error) return { ok: false, checkedEntries: 0, firstBadSeq: null, reason: `not a checkpoint signed by this gateway: ${payload.message}` };
    const signed = { seq: payload.seq, hash: payload.hash, what: `the checkpoint (seq ${payload.seq})` };
    const mark = await this.mark();
    if (payload.seq <= mark.seq) {
      // One entry: its link to the previous one and its contents give the signed hash.
      const anchor = payload.seq > 1 ? await this.hashAt(payload.seq - 1) : GENESIS_HASH;
      if (anchor === null) return { ok: false, checkedEntries: 0, firstBadSeq: payload.seq - 1, reason: `entry ${payload.seq - 1} is missing` };
      return pick(await verifyChain({ fromSeq: payload.seq, toSeq: payload.seq, anchorHash: anchor, expect: [signed], fetchBatch: this.fetch }));
    }
    if (this.walks >= MAX_CONCURRENT_WALKS) {
      retryAfter?.(RETRY_AFTER_S);
      throw new AppError(ErrorCode.RATE_LIMITED, `${MAX_CONCURRENT_WALKS} audit checkpoint verifications are already running; retry after ${RETRY_AFTER_S} s`, { retryAfter: RETRY_AFTER_S });
    }
    this.walks++;
    try {
      const v = await verifyChain({ fromSeq: mark.seq + 1, toSeq: payload.seq, anchorHash: mark.hash, expect: [signed], fetchBatch: this.fetch });
      if (v.ok) await this.advance(mark, { seq: v.lastSeq, hash: v.lastHash });
      return pick(v);
    } finally {
      this.walks--;
    }
  }

  private readonly fetch = (afterSeq: number, limit: number, toSeq: number | undefined) => fetchAuditRows((q, p) => this.db.query(q, p), afterSeq, limit, toSeq);

  private async mark(tx: EntityManager = this.db.manager): Promise<Mark> {
    const [row] = (await tx.query('SELECT seq, hash FROM audit_verified_mark WHERE id = 1')) as Array<{ seq: string | number; hash: string }>;
    return row ? { seq: Number(row.seq), hash: row.hash } : { seq: 0, hash: GENESIS_HASH };
  }

  private async hashAt(seq: number): Promise<string | null> {
    const [row] = (await this.db.query('SELECT hash FROM audit_log WHERE seq = $1', [seq])) as Array<{ hash: string }>;
    return row ? row.hash : null;
  }

  /** Moves the mark forward over what this walk verified, unless it was moved back below the walk's start meanwhile. */
  private async advance(from: Mark, to: Mark): Promise<void> {
    await this.db.query('UPDATE audit_verified_mark SET seq = $1, hash = $2, verified_at = now() WHERE id = 1 AND seq >= $3 AND seq < $1', [to.seq, to.hash, from.seq]);
  }
}

/**
 * After a verification from entry 1 (the operator's): an intact chain moves the mark forward to
 * its end; a broken one moves it to the last intact entry, back when the break is before it.
 */
export async function markAfterFullVerification(db: DataSource, v: ChainVerification): Promise<void> {
  const sql = `UPDATE audit_verified_mark SET seq = $1, hash = $2, verified_at = now() WHERE id = 1${v.ok ? ' AND seq < $1' : ''}`;
  await db.query(sql, [v.lastSeq, v.lastHash]);
}

function pick(v: ChainVerification): VerificationResult {
  return { ok: v.ok, checkedEntries: v.checkedEntries, firstBadSeq: v.firstBadSeq, reason: v.reason };
}
