import { AppError } from '../../common/errors';
import { MAX_ACKS, readPollRequest } from './poll-request';

const refusal = (body: unknown) => {
  try {
    readPollRequest(body, 100);
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return (e as AppError).message;
  }
  throw new Error('accepted');
};

describe('readPollRequest (RFC 8936 section 2.4)', () => {
  it('defaults to a long poll of the cap, with nothing acknowledged', () => {
    expect(readPollRequest(undefined, 100)).toEqual({ maxEvents: 100, returnImmediately: false, ack: [], setErrs: new Map() });
    expect(readPollRequest({}, 7).maxEvents).toBe(7);
  });

  it('reads every member, caps maxEvents and ignores unknown members', () => {
    const r = readPollRequest({ maxEvents: 500, returnImmediately: true, ack: ['a'], setErrs: { b: { err: 'invalid_key', description: 'x' }, c: { err: 'invalid_issuer' } }, extra: 1 }, 100);
    expect(r.maxEvents).toBe(100);
    expect(r.returnImmediately).toBe(true);
    expect(r.ack).toEqual(['a']);
    expect([...r.setErrs]).toEqual([['b', { err: 'invalid_key', description: 'x' }], ['c', { err: 'invalid_issuer', description: null }]]);
    expect(readPollRequest({ maxEvents: 0 }, 100).maxEvents).toBe(0);
  });

  it('refuses malformed members, naming them', () => {
    expect(refusal('text')).toMatch(/JSON object/);
    expect(refusal({ maxEvents: 1.5 })).toMatch(/maxEvents must be a non-negative integer/);
    expect(refusal({ returnImmediately: 1 })).toMatch(/returnImmediately/);
    expect(refusal({ ack: {} })).toMatch(/ack must be an array/);
    expect(refusal({ ack: [''] })).toMatch(/ack\[0\]/);
    expect(refusal({ ack: Array.from({ length: MAX_ACKS + 1 }, (_, i) => String(i)) })).toMatch(/more than the 1000/);
    expect(refusal({ setErrs: { j: 'bad' } })).toMatch(/setErrs\["j"\] must be an object/);
    expect(refusal({ setErrs: { j: { err: 'has space' } } })).toMatch(/setErrs\["j"\]\.err/);
    expect(refusal({ setErrs: { j: { err: 'x', description: 'd'.repeat(513) } } })).toMatch(/at most 512/);
    // And a good one passes after the refusals.
    expect(readPollRequest({ ack: ['j'] }, 100).ack).toEqual(['j']);
  });
});
