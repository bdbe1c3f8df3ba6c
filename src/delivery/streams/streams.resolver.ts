import { Inject } from '@nestjs/common';
import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { AuthenticatedPartner } from '../../auth/authenticated-partner';
import { CurrentPartner, Permissions } from '../../auth/decorators';
import { Permission } from '../../auth/permissions';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { DeliveryStatusService } from './delivery-status.service';
import {
  CreateStreamInput,
  DeliveryStatus,
  SetStreamStatusInput,
  StreamConnection,
  StreamStatusResult,
  StreamSubjectsInput,
  StreamSubjectsResult,
  StreamType,
  UpdateStreamInput,
  VerifyStreamInput,
  VerifyStreamResult,
} from './dto/stream.types';
import { ssfBodyOf, streamView } from './stream-view';
import { StreamsService } from './streams.service';

const FIRST = { type: () => Int, nullable: true, description: 'Page size, 1..100 (default 20).' } as const;
const AFTER = { type: () => String, nullable: true, description: 'Cursor of the last item of the previous page.' } as const;
const STREAM_ID = { type: () => ID, description: 'The stream.' } as const;

/** The GraphQL mirror of the SSF endpoints: the same StreamsService, the same rules and audit. */
@Resolver()
export class StreamsResolver {
  constructor(
    private readonly streamsService: StreamsService,
    private readonly deliveries: DeliveryStatusService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Query(() => StreamConnection, { description: 'Your SSF streams, newest first.' })
  @Permissions(Permission.ReadStreams)
  async streams(@CurrentPartner() caller: AuthenticatedPartner, @Args('first', FIRST) first?: number, @Args('after', AFTER) after?: string): Promise<StreamConnection> {
    const page = await this.streamsService.list(caller, first, after);
    return { ...page, edges: page.edges.map((e) => ({ cursor: e.cursor, node: streamView(e.node, this.config.issuer) })) };
  }

  @Query(() => StreamType, { description: 'One of your streams (another partner\'s reads as not found).' })
  @Permissions(Permission.ReadStreams)
  async stream(@CurrentPartner() caller: AuthenticatedPartner, @Args('streamId', STREAM_ID) streamId: string): Promise<StreamType> {
    return streamView(await this.streamsService.get(caller, streamId), this.config.issuer);
  }

  @Query(() => DeliveryStatus, { description: 'Backlog, oldest pending age, last error and dead letters of one of your streams.' })
  @Permissions(Permission.ReadStreams)
  deliveryStatus(@CurrentPartner() caller: AuthenticatedPartner, @Args('streamId', STREAM_ID) streamId: string, @Args('first', FIRST) first?: number, @Args('after', AFTER) after?: string): Promise<DeliveryStatus> {
    return this.deliveries.status(caller, streamId, first, after);
  }

  @Mutation(() => StreamType, { description: 'Creates a stream (SSF create stream); without deliveryMethod, a POLL stream.' })
  @Permissions(Permission.ManageStreams)
  async createStream(@CurrentPartner() caller: AuthenticatedPartner, @Args('input') input: CreateStreamInput): Promise<StreamType> {
    return streamView(await this.streamsService.create(caller, ssfBodyOf(input)), this.config.issuer);
  }

  @Mutation(() => StreamType, { description: 'Changes a stream (merge, like SSF PATCH).' })
  @Permissions(Permission.ManageStreams)
  async updateStream(@CurrentPartner() caller: AuthenticatedPartner, @Args('input') input: UpdateStreamInput): Promise<StreamType> {
    return streamView(await this.streamsService.update(caller, ssfBodyOf(input), 'patch'), this.config.issuer);
  }

  @Mutation(() => ID, { description: 'Deletes a stream, its subjects and its delivery records; answers its id.' })
  @Permissions(Permission.ManageStreams)
  deleteStream(@CurrentPartner() caller: AuthenticatedPartner, @Args('streamId', STREAM_ID) streamId: string): Promise<string> {
    return this.streamsService.remove(caller, streamId);
  }

  @Mutation(() => StreamStatusResult, { description: 'Enables, pauses or disables a stream (SSF status).' })
  @Permissions(Permission.ManageStreams)
  setStreamStatus(@CurrentPartner() caller: AuthenticatedPartner, @Args('input') input: SetStreamStatusInput): Promise<StreamStatusResult> {
    return this.streamsService.setStatus(caller, input.streamId, input.status, input.reason ?? null);
  }

  @Mutation(() => StreamSubjectsResult, { description: 'Adds subjects to a stream (1..1000 per call).' })
  @Permissions(Permission.ManageStreams)
  async addStreamSubjects(@CurrentPartner() caller: AuthenticatedPartner, @Args('input') input: StreamSubjectsInput): Promise<StreamSubjectsResult> {
    return { streamId: input.streamId, subjectCount: await this.streamsService.addSubjects(caller, input.streamId, input.subjects) };
  }

  @Mutation(() => StreamSubjectsResult, { description: 'Removes subjects from a stream (1..1000 per call); one it did not watch is no error.' })
  @Permissions(Permission.ManageStreams)
  async removeStreamSubjects(@CurrentPartner() caller: AuthenticatedPartner, @Args('input') input: StreamSubjectsInput): Promise<StreamSubjectsResult> {
    return { streamId: input.streamId, subjectCount: await this.streamsService.removeSubjects(caller, input.streamId, input.subjects) };
  }

  @Mutation(() => VerifyStreamResult, { description: 'Asks for a verification event carrying state (at most once per minVerificationInterval).' })
  @Permissions(Permission.ManageStreams)
  async verifyStream(@CurrentPartner() caller: AuthenticatedPartner, @Args('input') input: VerifyStreamInput): Promise<VerifyStreamResult> {
    return { streamId: input.streamId, jti: await this.streamsService.verify(caller, input.streamId, input.state ?? null) };
  }
}
