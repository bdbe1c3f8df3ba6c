import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { GraphQLSchemaBuilderModule, GraphQLSchemaFactory } from '@nestjs/graphql';
import { GraphQLSchema } from 'graphql';
import { MUTATION_AUDIT_ACTIONS } from '../audit/audit-failures';
import { RESOLVERS } from '../graphql/resolvers';
import { PartnerKind } from '../partners/partner.enums';
import { PERMISSIONS_ANY_KEY, PERMISSIONS_KEY, PUBLIC_KEY } from './decorators';
import { Permission, PERMISSIONS_BY_KIND } from './permissions';

/**
 * Every GraphQL operation with the permission it must declare. A new query, mutation or
 * subscription fails this test until it is listed here (and in the README's table).
 */
const EXPECTED: Record<string, Permission[]> = {
  'Query.me': [Permission.ReadSelf],
  'Query.partners': [Permission.ManagePartners],
  'Query.partner': [Permission.ManagePartners],
  'Mutation.registerPartner': [Permission.ManagePartners],
  'Mutation.addPartnerKey': [Permission.ManageOwnKeys],
  'Mutation.revokePartnerKey': [Permission.ManageOwnKeys],
  'Mutation.suspendPartner': [Permission.ManagePartners],
  'Mutation.reactivatePartner': [Permission.ManagePartners],
  'Query.auditLog': [Permission.ReadAuditLog],
  'Query.myAuditTrail': [Permission.ReadOwnAuditTrail],
  'Query.latestAuditCheckpoint': [Permission.ReadAuditCheckpoint],
  'Query.verifyAudit': [Permission.VerifyAuditLog],
  'Query.verifyAuditCheckpoint': [Permission.ReadAuditCheckpoint],
  'Mutation.createAuditCheckpoint': [Permission.CreateAuditCheckpoint],
  'Mutation.publishEvents': [Permission.PublishEvents],
  'Query.myEvents': [Permission.ReadOwnEvents],
  'Query.event': [Permission.ReadOwnEvents],
  'Mutation.grantAccess': [Permission.ManageGrants],
  'Mutation.revokeGrant': [Permission.ManageGrants],
  'Query.grantsGiven': [Permission.ReadOwnGrants],
  'Query.grantsReceived': [Permission.ReadOwnGrants],
  'Query.grants': [Permission.ReadAllGrants],
  'Query.signals': [Permission.ReadSharedEvents],
  'Query.flags': [Permission.ReadSharedEvents],
  'Query.riskScore': [Permission.ReadRiskScores],
  'Query.riskScores': [Permission.ReadRiskScores],
  'Query.riskScoreHistory': [Permission.ReadRiskScores],
  'Mutation.createPushToken': [Permission.ManagePushTokens],
  'Mutation.revokePushToken': [Permission.ManagePushTokens],
  'Query.pushTokens': [Permission.ManagePushTokens],
  'Mutation.updatePartnerSsf': [Permission.ManagePartners],
  'Query.streams': [Permission.ReadStreams],
  'Query.stream': [Permission.ReadStreams],
  'Query.deliveryStatus': [Permission.ReadStreams],
  'Mutation.createStream': [Permission.ManageStreams],
  'Mutation.updateStream': [Permission.ManageStreams],
  'Mutation.deleteStream': [Permission.ManageStreams],
  'Mutation.setStreamStatus': [Permission.ManageStreams],
  'Mutation.addStreamSubjects': [Permission.ManageStreams],
  'Mutation.removeStreamSubjects': [Permission.ManageStreams],
  'Mutation.verifyStream': [Permission.ManageStreams],
  'Query.notificationErrors': [Permission.ReadStreams],
  'Mutation.acknowledgeNotices': [Permission.ReadStreams],
  'Subscription.notices': [Permission.ReadStreams],
  'Query.deadLetters': [Permission.ManageStreams],
  'Mutation.replayDeadLetters': [Permission.ManageStreams],
  'Mutation.submitLegalRequest': [Permission.SubmitLegalRequests],
  'Query.myLegalRequests': [Permission.SubmitLegalRequests],
  // Either one (AnyOfPermissions): the requester reads its own, a reviewer any.
  'Query.legalRequest': [Permission.SubmitLegalRequests, Permission.ReviewLegalRequests],
  'Mutation.withdrawLegalRequest': [Permission.SubmitLegalRequests],
  'Mutation.requestLegalRelease': [Permission.SubmitLegalRequests],
  'Query.legalReviewQueue': [Permission.ReviewLegalRequests],
  'Mutation.startLegalReview': [Permission.ReviewLegalRequests],
  'Mutation.approveLegalRequest': [Permission.ReviewLegalRequests],
  'Mutation.rejectLegalRequest': [Permission.ReviewLegalRequests],
  'Query.disclosedEvents': [Permission.ReadDisclosures],
  'Query.disclosedScoreHistory': [Permission.ReadDisclosures],
  'Query.legalDisclosurePackage': [Permission.ReadDisclosures],
};

/** Operations that need any one of their listed permissions rather than all of them. */
const ANY_OF = ['Query.legalRequest'];

async function buildSchema(): Promise<GraphQLSchema> {
  const app = await NestFactory.createApplicationContext(GraphQLSchemaBuilderModule, { logger: false });
  await app.init();
  const schema = await app.get(GraphQLSchemaFactory).create(RESOLVERS);
  await app.close();
  return schema;
}

function declaredPermissions(): Map<string, { permissions?: Permission[]; isPublic: boolean; anyOf?: boolean }> {
  const found = new Map<string, { permissions?: Permission[]; isPublic: boolean; anyOf?: boolean }>();
  for (const resolver of RESOLVERS) {
    const proto = resolver.prototype as Record<string, unknown>;
    for (const method of Object.getOwnPropertyNames(proto)) {
      const fn = proto[method] as object;
      const type = Reflect.getMetadata('graphql:resolver_type', fn) as string | undefined;
      if (!type || !['Query', 'Mutation', 'Subscription'].includes(type)) continue;
      const name = (Reflect.getMetadata('graphql:resolver_name', fn) as string | undefined) ?? method;
      found.set(`${type}.${name}`, {
        permissions: Reflect.getMetadata(PERMISSIONS_KEY, fn) as Permission[] | undefined,
        isPublic: Reflect.getMetadata(PUBLIC_KEY, fn) === true,
        anyOf: Reflect.getMetadata(PERMISSIONS_ANY_KEY, fn) === true,
      });
    }
  }
  return found;
}

describe('permission of every operation', () => {
  let operations: string[];
  beforeAll(async () => {
    const schema = await buildSchema();
    operations = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]
      .filter((t) => !!t)
      .flatMap((t) => Object.keys(t!.getFields()).map((f) => `${t!.name}.${f}`));
  });

  it('lists every operation of the schema, and no operation that is gone', () => {
    expect(operations.length).toBeGreaterThan(0);
    expect([...operations].sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it('each resolver declares exactly the listed permission and none is public', () => {
    const declared = declaredPermissions();
    for (const op of operations) {
      const d = declared.get(op);
      expect({ op, isPublic: d?.isPublic, permissions: d?.permissions }).toEqual({ op, isPublic: false, permissions: EXPECTED[op] });
    }
  });

  it('only the listed operations accept any one of their permissions', () => {
    const declared = declaredPermissions();
    expect(operations.filter((op) => declared.get(op)?.anyOf).sort()).toEqual([...ANY_OF].sort());
  });

  it('every mutation has an audit action, so its failures are recorded too', () => {
    const mutations = operations.filter((op) => op.startsWith('Mutation.')).map((op) => op.slice('Mutation.'.length));
    expect(mutations.length).toBeGreaterThan(0);
    expect(mutations.filter((m) => !MUTATION_AUDIT_ACTIONS[m])).toEqual([]);
  });

  it('every permission is held by some kind, and only the operator manages partners', () => {
    const held = new Set(Object.values(PERMISSIONS_BY_KIND).flat());
    for (const p of Object.values(Permission)) expect(held.has(p)).toBe(true);
    const managers = Object.values(PartnerKind).filter((k) => PERMISSIONS_BY_KIND[k].includes(Permission.ManagePartners));
    expect(managers).toEqual([PartnerKind.OPERATOR]);
  });
});
