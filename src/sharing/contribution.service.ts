import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { AuthService } from '../auth/auth.service';
import { PERMISSIONS_KEY, requestOf } from '../auth/decorators';
import { kindHas, Permission, requiresGiveToGet } from '../auth/permissions';
import { AppError, ErrorCode } from '../common/errors';
import { APP_CONFIG, AppConfig } from '../config/config';
import type { Viewer } from './visibility';

/**
 * Give-to-get: reading other partners' events (or scores) can require having published at least
 * GIVE_TO_GET_MIN_EVENTS events in the last GIVE_TO_GET_DAYS, per partner kind. Off by default.
 */
@Injectable()
export class ContributionService {
  constructor(
    private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async assertContributes(viewer: Viewer): Promise<void> {
    const required = this.config.giveToGetMinEvents[viewer.kind] ?? 0;
    if (required === 0) return;
    const days = this.config.giveToGetDays;
    const [{ n }] = (await this.db.query(
      `SELECT count(*) AS n FROM (SELECT 1 FROM event WHERE issuer = $1 AND received_at > now() - make_interval(days => $2) LIMIT $3) c`,
      [viewer.id, days, required],
    )) as Array<{ n: string | number }>;
    const published = Number(n);
    if (published < required) {
      throw new AppError(
        ErrorCode.CONTRIBUTION_REQUIRED,
        `give-to-get: publish at least ${required} events in ${days} days to read other partners' data; you have published ${published}. Publish ${required - published} more with publishEvents.`,
        { required, published, days },
      );
    }
  }
}

/**
 * Enforces the give-to-get column of the permission table (auth/permissions.ts) for every
 * operation: one that declares a marked permission runs only for a caller that contributes.
 * Independent of the order of global guards: it authenticates through the request's one memoised
 * verification, and leaves a caller whose kind lacks the permission to the permission guard (so
 * that caller reads FORBIDDEN, not CONTRIBUTION_REQUIRED).
 */
@Injectable()
export class GiveToGetGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
    private readonly contribution: ContributionService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const required = this.reflector.getAllAndOverride<Permission[] | undefined>(PERMISSIONS_KEY, [context.getHandler(), context.getClass()]) ?? [];
    if (!requiresGiveToGet(required)) return true;
    const partner = await this.auth.authenticateRequest(requestOf(context));
    if (!required.every((p) => kindHas(partner.kind, p))) return true;
    await this.contribution.assertContributes(partner);
    return true;
  }
}
