import 'reflect-metadata';
import { RESOLVERS } from '../graphql/resolvers';
import { PERMISSIONS_KEY } from './decorators';
import { Permission, requiresGiveToGet } from './permissions';

/**
 * The give-to-get column, written by hand: the operations that read data other partners derived
 * (their events, or scores and tier changes computed from them), and the SSF streams that carry
 * them (a stream is a read path too; its dead letters are SETs about them). `event(id)` is not in it: it
 * also answers the caller's own events, and checks give-to-get in the service for others' ones.
 */
const GIVE_TO_GET_OPERATIONS = [
  'acknowledgeNotices', 'addStreamSubjects', 'createStream', 'deadLetters', 'deleteStream', 'deliveryStatus', 'flags', 'notices', 'notificationErrors',
  'removeStreamSubjects', 'replayDeadLetters', 'riskScore', 'riskScoreHistory', 'riskScores', 'setStreamStatus', 'signals', 'stream', 'streams',
  'updateStream', 'verifyStream',
];

describe('give-to-get column of the permission table', () => {
  it('marks exactly the operations that read partner-derived data', () => {
    const marked: string[] = [];
    for (const resolver of RESOLVERS) {
      const proto = resolver.prototype as Record<string, unknown>;
      for (const method of Object.getOwnPropertyNames(proto)) {
        const permissions = Reflect.getMetadata(PERMISSIONS_KEY, proto[method] as object) as Permission[] | undefined;
        if (permissions && requiresGiveToGet(permissions)) marked.push((Reflect.getMetadata('graphql:resolver_name', proto[method] as object) as string | undefined) ?? method);
      }
    }
    expect(marked.sort()).toEqual(GIVE_TO_GET_OPERATIONS);
    expect(requiresGiveToGet([Permission.ReadOwnEvents])).toBe(false);
  });
});
