import { Injectable, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { MetricsService } from '../../observability/metrics';
import { PUSH_METHOD } from '../stream.entity';

/**
 * Feeds `rx_delivery_backlog` (PENDING + HELD) and `rx_delivery_dead_letters` (DEAD) per delivery
 * method, read in one query when metrics are scraped. Subscriptions read the rows of poll streams,
 * so they count under `poll`. Per stream through its (stream_id, state) index: the acknowledged
 * history, the bulk of the table, is never scanned.
 */
@Injectable()
export class DeliveryBacklog implements OnModuleInit {
  constructor(
    private readonly db: DataSource,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    this.metrics.setDeliveryBacklogSource(() => this.read());
  }

  async read(): Promise<Array<{ method: string; backlog: number; dead: number }>> {
    const rows = (await this.db.query(
      `SELECT s.delivery_method AS method, coalesce(sum(c.backlog), 0)::int AS backlog, coalesce(sum(c.dead), 0)::int AS dead
         FROM ssf_stream s
         CROSS JOIN LATERAL (
           SELECT count(*) FILTER (WHERE d.state IN ('PENDING', 'HELD')) AS backlog, count(*) FILTER (WHERE d.state = 'DEAD') AS dead
             FROM delivery d WHERE d.stream_id = s.id AND d.state IN ('PENDING', 'HELD', 'DEAD')
         ) c
        GROUP BY s.delivery_method`,
    )) as Array<{ method: string; backlog: number; dead: number }>;
    const out = { poll: { backlog: 0, dead: 0 }, push: { backlog: 0, dead: 0 } };
    for (const r of rows) out[r.method === PUSH_METHOD ? 'push' : 'poll'] = { backlog: Number(r.backlog), dead: Number(r.dead) };
    return Object.entries(out).map(([method, v]) => ({ method, ...v }));
  }
}
