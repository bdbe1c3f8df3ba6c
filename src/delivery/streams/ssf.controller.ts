import { Body, Controller, Delete, Get, Header, HttpCode, Inject, Patch, Post, Put, Query, UseFilters } from '@nestjs/common';
import { AuthenticatedPartner } from '../../auth/authenticated-partner';
import { CurrentPartner, Permissions, Public } from '../../auth/decorators';
import { Permission } from '../../auth/permissions';
import { AcceptsAccessToken, SsfScope } from '../../auth/ssf-scopes.decorator';
import { AppError, ErrorCode } from '../../common/errors';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { budgetSpentMessage } from '../../ratelimit/budget';
import { RateLimiterService } from '../../ratelimit/rate-limiter.service';
import { POLL_METHOD, PUSH_METHOD } from '../stream.entity';
import { readStatusUpdate, readSubjectRequest, readVerification } from './ssf-requests';
import { SsfExceptionFilter } from './ssf-errors';
import { streamToWire } from './stream-config';
import { StreamConfigError } from './stream-config';
import { StreamsService } from './streams.service';

/** What one call of an SSF endpoint costs from the partner's query-cost budget (a GraphQL field costs 1). */
export const SSF_CALL_COST = 1;

/**
 * The SSF 1.0 transmitter endpoints (sections 7 and 8.1): metadata, stream configuration, status,
 * subjects and verification. Thin: each route reads its body and calls StreamsService, which the
 * GraphQL mirror calls too. Errors answer `{err, description}` (SsfExceptionFilter).
 */
@Controller()
@UseFilters(SsfExceptionFilter)
export class SsfController {
  constructor(
    private readonly streams: StreamsService,
    private readonly limiter: RateLimiterService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Transmitter configuration metadata (SSF 1.0 section 7.1); every URL is under GATEWAY_ISSUER. */
  @Public()
  @Get('/.well-known/ssf-configuration')
  @Header('Cache-Control', 'public, max-age=300')
  metadata() {
    const base = this.config.issuer;
    return {
      spec_version: '1_0',
      issuer: base,
      jwks_uri: `${base}/.well-known/jwks.json`,
      delivery_methods_supported: [PUSH_METHOD, POLL_METHOD],
      configuration_endpoint: `${base}/ssf/streams`,
      status_endpoint: `${base}/ssf/status`,
      add_subject_endpoint: `${base}/ssf/subjects:add`,
      remove_subject_endpoint: `${base}/ssf/subjects:remove`,
      verification_endpoint: `${base}/ssf/verify`,
      authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:6749' }],
      default_subjects: 'NONE',
    };
  }

  @Post('/ssf/streams')
  @HttpCode(201)
  @Header('Cache-Control', 'no-store')
  @Permissions(Permission.ManageStreams)
  @AcceptsAccessToken(SsfScope.Manage)
  async create(@CurrentPartner() caller: AuthenticatedPartner, @Body() body: unknown) {
    await this.charge(caller);
    return streamToWire(await this.streams.create(caller, body), this.config.issuer);
  }

  /** One stream with `?stream_id=`, else the list of the caller's streams (SSF 8.1.1.2). */
  @Get('/ssf/streams')
  @Header('Cache-Control', 'no-store')
  @Permissions(Permission.ReadStreams)
  @AcceptsAccessToken(SsfScope.Read)
  async read(@CurrentPartner() caller: AuthenticatedPartner, @Query('stream_id') streamId: unknown) {
    await this.charge(caller);
    if (streamId === undefined) return (await this.streams.listAll(caller)).map((s) => streamToWire(s, this.config.issuer));
    return streamToWire(await this.streams.get(caller, streamId), this.config.issuer);
  }

  @Patch('/ssf/streams')
  @Header('Cache-Control', 'no-store')
  @Permissions(Permission.ManageStreams)
  @AcceptsAccessToken(SsfScope.Manage)
  async update(@CurrentPartner() caller: AuthenticatedPartner, @Body() body: unknown) {
    await this.charge(caller);
    return streamToWire(await this.streams.update(caller, body, 'patch'), this.config.issuer);
  }

  @Put('/ssf/streams')
  @Header('Cache-Control', 'no-store')
  @Permissions(Permission.ManageStreams)
  @AcceptsAccessToken(SsfScope.Manage)
  async replace(@CurrentPartner() caller: AuthenticatedPartner, @Body() body: unknown) {
    await this.charge(caller);
    return streamToWire(await this.streams.update(caller, body, 'put'), this.config.issuer);
  }

  @Delete('/ssf/streams')
  @HttpCode(204)
  @Header('Cache-Control', 'no-store')
  @Permissions(Permission.ManageStreams)
  @AcceptsAccessToken(SsfScope.Manage)
  async remove(@CurrentPartner() caller: AuthenticatedPartner, @Query('stream_id') streamId: unknown): Promise<void> {
    await this.charge(caller);
    if (streamId === undefined) throw badRequest('stream_id', 'is required as a query parameter');
    await this.streams.remove(caller, streamId);
  }

  @Get('/ssf/status')
  @Header('Cache-Control', 'no-store')
  @Permissions(Permission.ReadStreams)
  @AcceptsAccessToken(SsfScope.Read)
  async status(@CurrentPartner() caller: AuthenticatedPartner, @Query('stream_id') streamId: unknown) {
    await this.charge(caller);
    if (streamId === undefined) throw badRequest('stream_id', 'is required as a query parameter');
    return statusToWire(await this.streams.status(caller, streamId));
  }

  @Post('/ssf/status')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Permissions(Permission.ManageStreams)
  @AcceptsAccessToken(SsfScope.Manage)
  async setStatus(@CurrentPartner() caller: AuthenticatedPartner, @Body() body: unknown) {
    await this.charge(caller);
    const { streamId, status, reason } = read(() => readStatusUpdate(body));
    return statusToWire(await this.streams.setStatus(caller, streamId, status, reason));
  }

  /** 200 with an empty body (SSF 8.1.3.2), the same whether or not anything is known about the subject. */
  @Post('/ssf/subjects::add')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Permissions(Permission.ManageStreams)
  @AcceptsAccessToken(SsfScope.Manage)
  async addSubject(@CurrentPartner() caller: AuthenticatedPartner, @Body() body: unknown): Promise<void> {
    await this.charge(caller);
    const { streamId, subject } = read(() => readSubjectRequest(body));
    await this.streams.addSubjects(caller, streamId, [subject]);
  }

  @Post('/ssf/subjects::remove')
  @HttpCode(204)
  @Header('Cache-Control', 'no-store')
  @Permissions(Permission.ManageStreams)
  @AcceptsAccessToken(SsfScope.Manage)
  async removeSubject(@CurrentPartner() caller: AuthenticatedPartner, @Body() body: unknown): Promise<void> {
    await this.charge(caller);
    const { streamId, subject } = read(() => readSubjectRequest(body));
    await this.streams.removeSubjects(caller, streamId, [subject]);
  }

  @Post('/ssf/verify')
  @HttpCode(204)
  @Header('Cache-Control', 'no-store')
  @Permissions(Permission.ManageStreams)
  @AcceptsAccessToken(SsfScope.Manage)
  async verify(@CurrentPartner() caller: AuthenticatedPartner, @Body() body: unknown): Promise<void> {
    await this.charge(caller);
    const { streamId, state } = read(() => readVerification(body));
    await this.streams.verify(caller, streamId, state);
  }

  /** Each call draws on the partner's one budget, shared with GraphQL and POST /events. */
  private async charge(caller: AuthenticatedPartner): Promise<void> {
    const decision = await this.limiter.consume(caller.id, caller.kind, SSF_CALL_COST);
    if (!decision.allowed) throw new AppError(ErrorCode.RATE_LIMITED, budgetSpentMessage(decision), { retryAfter: decision.retryAfterSeconds });
  }
}

function statusToWire(s: { streamId: string; status: string; reason: string | null }) {
  return { stream_id: s.streamId, status: s.status, ...(s.reason !== null ? { reason: s.reason } : {}) };
}

function badRequest(field: string, problem: string): AppError {
  return new AppError(ErrorCode.BAD_USER_INPUT, `${field} ${problem}`, { field });
}

function read<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof StreamConfigError) throw badRequest(e.field, e.message.slice(e.field.length + 1));
    throw e;
  }
}
