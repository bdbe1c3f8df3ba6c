import { PARTNER_ID } from '../auth/assertion-verifier';
import { EventStatus, StoredEventType } from './event.entity';
import { GATEWAY_ISSUER_ID, gatewayEventClaims, gatewayEventRow, GatewayEvent } from './gateway-events';

const at = new Date(1_800_000_000_000);
const order = { requestId: '0b6f3c1e-8a55-4b7e-9d0a-3c2f1e4d5a6b', caseReference: 'AG Berlin 12 Js 345/26', authority: 'Amtsgericht Berlin', deadline: new Date(1_800_086_400_000) };
const freeze: GatewayEvent = { kind: 'freeze', subject: 'v1:subject-0001', order };
const lift: GatewayEvent = { kind: 'lift', subject: 'v1:subject-0001', flag: { id: '11111111-1111-4111-8111-111111111111', jti: 'flag-jti' }, requestId: 'release-1', reasonCode: 'legal_release' };

describe('gateway events', () => {
  it('uses an issuer no partner can have', () => {
    expect(PARTNER_ID.test(GATEWAY_ISSUER_ID)).toBe(false);
    expect(PARTNER_ID.test('gateway')).toBe(true); // the pattern itself accepts ordinary ids
  });

  it('signs a consortium freeze flag that carries the order and expires at its deadline', () => {
    expect(gatewayEventClaims(freeze, 'https://gw.example', 'risk-exchange', 'j1', at)).toEqual({
      iss: 'https://gw.example', aud: 'risk-exchange', iat: 1_800_000_000, jti: 'j1', sub_id: { format: 'opaque', id: 'v1:subject-0001' },
      events: {
        'urn:risk-exchange:event:account-flag': {
          action: 'freeze', reason_codes: ['legal_order'], distribution: 'consortium', legal_request_id: order.requestId,
          case_reference: 'AG Berlin 12 Js 345/26', authority: 'Amtsgericht Berlin', expires_at: 1_800_086_400,
        },
      },
    });
    const open = gatewayEventClaims({ ...freeze, order: { ...order, deadline: null } }, 'https://gw.example', 'risk-exchange', 'j1', at) as { events: Record<string, Record<string, unknown>> };
    expect(open.events['urn:risk-exchange:event:account-flag']).not.toHaveProperty('expires_at');
  });

  it('signs a lift naming the gateway flag it lifts', () => {
    expect((gatewayEventClaims(lift, 'https://gw.example', 'risk-exchange', 'j2', at) as { events: unknown }).events).toEqual({
      'urn:risk-exchange:event:flag-lifted': { flag_jti: 'flag-jti', reason_codes: ['legal_release'], legal_request_id: 'release-1' },
    });
  });

  it('stores them like a partner flag and lift: issuer @gateway, consortium, grant category account_flag', () => {
    const row = gatewayEventRow(freeze, 'h.p.s', 'j1', 'kid-1', at);
    expect(row).toMatchObject({
      issuer: '@gateway', jti: 'j1', kid: 'kid-1', type: StoredEventType.ACCOUNT_FLAG, action: 'freeze', reasonCodes: ['legal_order'], distribution: 'consortium',
      grantCategory: 'account_flag', issuedAt: at, receivedAt: at, expiresAt: order.deadline, targetJti: null, token: 'h.p.s', status: EventStatus.ACTIVE, legalHold: false,
      details: { legal_request_id: order.requestId, case_reference: order.caseReference, authority: order.authority },
    });
    expect(gatewayEventRow(lift, 't', 'j2', 'kid-1', at)).toMatchObject({ type: StoredEventType.FLAG_LIFTED, action: null, targetJti: 'flag-jti', expiresAt: null, reasonCodes: ['legal_release'], details: { legal_request_id: 'release-1' } });
  });
});
