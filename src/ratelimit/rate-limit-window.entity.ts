import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Cost spent by one partner in one minute; shared by every replica. */
@Entity({ name: 'rate_limit_window' })
export class RateLimitWindow {
  @PrimaryColumn({ name: 'partner_id', type: 'varchar', length: 63 })
  partnerId: string;

  @PrimaryColumn({ name: 'window_start', type: 'timestamptz' })
  windowStart: Date;

  @Column({ type: 'bigint', transformer: { to: (v: number) => v, from: (v: string | number) => Number(v) } })
  cost: number;
}
