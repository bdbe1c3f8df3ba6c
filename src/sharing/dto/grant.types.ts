import { Field, ID, InputType, ObjectType } from '@nestjs/graphql';
import { PageInfo } from '../../common/pagination';

@ObjectType('Grant', { description: 'Access one partner gives another to its `granted` events in some categories.' })
export class GrantType {
  @Field(() => ID, { description: 'Grant id.' })
  id: string;

  @Field({ description: 'The partner whose events are shared.' })
  grantor: string;

  @Field({ description: 'The partner who may see them.' })
  grantee: string;

  @Field(() => [String], { description: 'Risk-signal categories covered, and `account_flag` for flags and their lifts.' })
  categories: string[];

  @Field({ description: 'Whether the grantee also sees evidence, the original token and reason codes.' })
  includeEvidence: boolean;

  @Field({ description: 'When the grant stops.' })
  expiresAt: Date;

  @Field({ description: 'Why the grant exists.' })
  purpose: string;

  @Field({ description: 'When it was given.' })
  createdAt: Date;

  @Field(() => Date, { nullable: true, description: 'When it was revoked, if it was.' })
  revokedAt: Date | null;

  @Field({ description: 'True while not revoked and not expired.' })
  active: boolean;
}

@ObjectType({ description: 'One grant in a page.' })
export class GrantEdge {
  @Field({ description: 'Opaque cursor.' })
  cursor: string;

  @Field(() => GrantType, { description: 'The grant.' })
  node: GrantType;
}

@ObjectType({ description: 'A page of grants, newest first.' })
export class GrantConnection {
  @Field(() => [GrantEdge], { description: 'The grants of this page.' })
  edges: GrantEdge[];

  @Field(() => PageInfo, { description: 'Where this page ends and whether more follow.' })
  pageInfo: PageInfo;
}

@InputType({ description: 'A new grant from the caller.' })
export class GrantAccessInput {
  @Field({ description: 'Partner id of the grantee (a BANK, ECOMMERCE or INTERNAL_SCORER partner).' })
  grantee: string;

  @Field(() => [String], { description: 'Categories to share: risk-signal categories and/or `account_flag`.' })
  categories: string[];

  @Field({ description: 'Also share evidence, the original token and reason codes.' })
  includeEvidence: boolean;

  @Field({ description: 'When the grant stops; in the future, at most 2 years away.' })
  expiresAt: Date;

  @Field({ description: 'Why the grant exists (1..500 characters); recorded in the audit log.' })
  purpose: string;
}
