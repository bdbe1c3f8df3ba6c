import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import * as path from 'node:path';
import { AuditInput } from '../audit/audit.actions';
import { AuditService } from '../audit/audit.service';
import { APP_CONFIG, AppConfig } from '../config/config';
import { isDatabaseUnavailable } from '../database/database-errors';
import { DatabaseHealth } from '../database/database-health';
import { loadResilienceConfig } from './resilience.config';

const SPOOL_FILE = 'audit-spool.jsonl';

interface Spooled extends AuditInput {
  occurredAt: string;
}

/**
 * Audit entries that could not be written because the database was down (failed mutations): one
 * JSON line each in DATA_DIR/audit-spool.jsonl, at most AUDIT_SPOOL_MAX_ENTRIES (beyond that they
 * are counted and logged, never kept in memory). When the database answers again, and at every
 * start, the file is claimed (renamed, so one replica replays it) and each entry appended to the
 * chain with `details.spooled: true` and `details.occurredAt`. Entries that fail again go back.
 */
@Injectable()
export class AuditSpool implements OnApplicationBootstrap {
  private readonly logger = new Logger('AuditSpool');
  private readonly file: string;
  private readonly max = loadResilienceConfig().auditSpoolMaxEntries;
  private pending = 0;
  private replaying: Promise<number> | undefined;
  dropped = 0;

  constructor(
    private readonly audit: AuditService,
    private readonly health: DatabaseHealth,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.file = path.join(config.dataDir, SPOOL_FILE);
  }

  onApplicationBootstrap(): void {
    this.pending = this.linesIn(this.file);
    this.health.onRecovery(() => void this.replay());
    void this.replay();
  }

  add(input: AuditInput): void {
    if (this.pending >= this.max) {
      this.dropped++;
      this.logger.error(`audit spool full (${this.max} entries): a failed ${input.action} by ${input.actor} is not recorded (${this.dropped} dropped)`);
      return;
    }
    const line = JSON.stringify({ ...input, occurredAt: new Date().toISOString() } satisfies Spooled) + '\n';
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    fs.appendFileSync(this.file, line, { mode: 0o600 }); // one O_APPEND write per line: never interleaved
    this.pending++;
    this.logger.warn(`the database is down: a failed ${input.action} by ${input.actor} is spooled in ${this.file} until it is back`);
  }

  /** Appends every spooled entry to the audit log; resolves to how many were written. */
  replay(): Promise<number> {
    this.replaying ??= this.replayNow().finally(() => (this.replaying = undefined));
    return this.replaying;
  }

  private async replayNow(): Promise<number> {
    const dir = path.dirname(this.file);
    const claimed = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.replaying`;
    // Leftovers of a replay that crashed count too (at least once: a crash mid-replay may repeat entries).
    const sources = [this.file, ...(fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.startsWith(`${SPOOL_FILE}.`) && f.endsWith('.replaying')).map((f) => path.join(dir, f)) : [])];
    const entries: Spooled[] = [];
    for (const source of sources) {
      const mine = `${claimed}.${entries.length}`;
      try {
        fs.renameSync(source, mine); // only one process wins the rename
      } catch {
        continue;
      }
      entries.push(...this.read(mine));
      fs.rmSync(mine, { force: true });
    }
    this.pending = this.linesIn(this.file);
    if (!entries.length) return 0;
    const results = await Promise.allSettled(
      entries.map(({ occurredAt, ...input }) => this.audit.record({ ...input, details: { ...(input.details ?? {}), spooled: true, occurredAt } })),
    );
    const failed = entries.filter((_, i) => results[i].status === 'rejected');
    for (const entry of failed) this.add(entry);
    const firstError = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason;
    if (firstError && !isDatabaseUnavailable(firstError)) this.logger.error(`could not replay ${failed.length} spooled audit entries: ${(firstError as Error).message}`);
    const written = entries.length - failed.length;
    if (written) this.logger.log(`appended ${written} spooled audit entr${written === 1 ? 'y' : 'ies'} to the audit log`);
    return written;
  }

  private read(file: string): Spooled[] {
    const out: Spooled[] = [];
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as Spooled);
      } catch {
        this.logger.error(`skipped an unreadable line of the audit spool (a crash while it was written)`);
      }
    }
    return out;
  }

  private linesIn(file: string): number {
    try {
      return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).length;
    } catch {
      return 0;
    }
  }
}
