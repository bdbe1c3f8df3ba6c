import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuthenticatedPartner } from '../../auth/authenticated-partner';
import { decodeTimeCursor, encodeTimeCursor, pageOf, pageSize } from '../../common/pagination';
import { StreamStatus } from '../stream.entity';
import { DeliveryStatus } from './dto/stream.types';
import { StreamsService } from './streams.service';

// Cursors carry milliseconds; rows of one transaction share created_at to the microsecond.
const MS = `date_trunc('milliseconds', created_at)`;

interface Counts {
  backlog: number;
  dead: number;
  oldest_age: number | null;
}

/** `deliveryStatus(streamId)`: backlog, age of the oldest pending notice, last error and dead letters of one of the caller's streams. */
@Injectable()
export class DeliveryStatusService {
  constructor(
    private readonly db: DataSource,
    private readonly streams: StreamsService,
  ) {}

  async status(caller: AuthenticatedPartner, streamId: string, first?: number | null, after?: string | null): Promise<DeliveryStatus> {
    const size = pageSize(first);
    const cursor = decodeTimeCursor(after);
    const stream = await this.streams.get(caller, streamId); // owner only; another partner's reads as missing
    const [[counts], [last], dead] = await Promise.all([
      this.db.query(
        `SELECT count(*) FILTER (WHERE state IN ('PENDING', 'HELD'))::int AS backlog, count(*) FILTER (WHERE state = 'DEAD')::int AS dead,
                extract(epoch FROM now() - min(created_at) FILTER (WHERE state = 'PENDING'))::float8 AS oldest_age
           FROM delivery WHERE stream_id = $1`,
        [stream.id],
      ) as Promise<Counts[]>,
      this.db.query(`SELECT last_error FROM delivery WHERE stream_id = $1 AND last_error IS NOT NULL ORDER BY coalesce(next_attempt_at, created_at) DESC LIMIT 1`, [stream.id]) as Promise<Array<{ last_error: string }>>,
      this.db.query(
        `SELECT id, stream_id, event_type, event_id, attempts, last_error, created_at, first_sent_at, token FROM delivery
          WHERE stream_id = $1 AND state = 'DEAD' ${cursor ? `AND (${MS}, id) < ($3, $4)` : ''}
          ORDER BY ${MS} DESC, id DESC LIMIT $2`,
        cursor ? [stream.id, size + 1, cursor.at, cursor.id] : [stream.id, size + 1],
      ) as Promise<Array<{ id: string; stream_id: string; event_type: string; event_id: string | null; attempts: number; last_error: string | null; created_at: Date; first_sent_at: Date | null; token: string | null }>>,
    ]);
    const page = pageOf(
      dead,
      size,
      (r) => encodeTimeCursor(new Date(r.created_at), r.id),
      (r) => ({
        jti: r.id,
        streamId: r.stream_id,
        eventType: r.event_type,
        eventId: r.event_id,
        attempts: r.attempts,
        lastError: r.last_error,
        createdAt: new Date(r.created_at),
        firstSentAt: r.first_sent_at === null ? null : new Date(r.first_sent_at),
        set: r.token,
      }),
    );
    return {
      streamId: stream.id,
      status: stream.status as StreamStatus,
      backlog: counts.backlog,
      oldestPendingAgeSeconds: counts.oldest_age === null ? null : Math.max(0, Number(counts.oldest_age)),
      lastError: last?.last_error ?? stream.statusReason ?? null,
      deadLetterCount: counts.dead,
      deadLetters: { ...page, totalCount: counts.dead },
    };
  }
}
