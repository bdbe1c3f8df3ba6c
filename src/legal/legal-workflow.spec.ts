import { accessUntil, approvalRefusal, approvalsNeeded, canTransition, FINAL, isOverdue, KIND_OF_TOKEN, LegalKind, LegalStatus, transitionRefusal, UNDECIDED } from './legal-workflow';
import { optionalText, requestId, requiredText } from './legal-inputs';

const S = LegalStatus;
const ALL = Object.values(LegalStatus);

/** Every transition the issue allows, written out by hand (not derived from the table under test). */
const ALLOWED: Array<[LegalStatus, LegalStatus]> = [
  [S.SUBMITTED, S.UNDER_REVIEW],
  [S.SUBMITTED, S.WITHDRAWN],
  [S.UNDER_REVIEW, S.APPROVED],
  [S.UNDER_REVIEW, S.REJECTED],
  [S.UNDER_REVIEW, S.WITHDRAWN],
  [S.APPROVED, S.FULFILLED],
  [S.APPROVED, S.EXPIRED],
];

describe('legal workflow transitions', () => {
  it('allows exactly the transitions of the issue, and refuses every other pair', () => {
    const allowed = new Set(ALLOWED.map(([a, b]) => `${a}>${b}`));
    for (const from of ALL) {
      for (const to of ALL) {
        expect({ from, to, ok: canTransition(from, to) }).toEqual({ from, to, ok: allowed.has(`${from}>${to}`) });
      }
    }
    expect(ALLOWED.every(([a, b]) => canTransition(a, b))).toBe(true);
  });

  it('a final status is never left, and an undecided one can always be withdrawn', () => {
    for (const from of FINAL) for (const to of ALL) expect(canTransition(from, to)).toBe(false);
    for (const from of UNDECIDED) expect(canTransition(from, S.WITHDRAWN)).toBe(true);
    expect(canTransition(S.APPROVED, S.WITHDRAWN)).toBe(false);
  });

  it('a refusal names the operation, the current state and what the operation needs', () => {
    expect(transitionRefusal('withdraw', S.APPROVED, S.WITHDRAWN)).toBe('cannot withdraw: the request is APPROVED; withdraw needs SUBMITTED or UNDER_REVIEW');
    expect(transitionRefusal('start review', S.REJECTED, S.UNDER_REVIEW)).toBe('cannot start review: the request is REJECTED; start review needs SUBMITTED');
    expect(transitionRefusal('expire', S.FULFILLED, S.EXPIRED)).toBe('cannot expire: the request is FULFILLED; expire needs APPROVED');
    // Nothing leads back to SUBMITTED: the message still names the state.
    expect(transitionRefusal('resubmit', S.WITHDRAWN, S.SUBMITTED)).toBe('cannot resubmit: the request is WITHDRAWN');
    // An allowed transition has no refusal.
    expect(transitionRefusal('withdraw', S.UNDER_REVIEW, S.WITHDRAWN)).toBeNull();
  });
});

describe('approvals', () => {
  it('DISCLOSURE and FREEZE need LEGAL_MIN_APPROVALS, PRESERVATION one, a RELEASE as the kind it releases', () => {
    expect(approvalsNeeded(LegalKind.DISCLOSURE, 2)).toBe(2);
    expect(approvalsNeeded(LegalKind.FREEZE, 3)).toBe(3);
    expect(approvalsNeeded(LegalKind.PRESERVATION, 3)).toBe(1);
    expect(approvalsNeeded(LegalKind.RELEASE, 3, LegalKind.FREEZE)).toBe(3);
    expect(approvalsNeeded(LegalKind.RELEASE, 3, LegalKind.PRESERVATION)).toBe(3); // ending a hold lets retention purge: four eyes
  });

  it('four-eyes: the requester never approves, nobody approves twice; a distinct reviewer may', () => {
    expect(approvalRefusal('court-a', 'court-a', [])).toBe('cannot approve: a requester may not approve its own request');
    expect(approvalRefusal('officer-1', 'court-a', ['officer-1'])).toMatch(/^cannot approve: officer-1 has already approved this request \(four-eyes/);
    expect(approvalRefusal('officer-2', 'court-a', ['officer-1'])).toBeNull();
    expect(approvalRefusal('operator', 'court-a', [])).toBeNull();
  });
});

describe('access window and deadlines', () => {
  const approvedAt = new Date('2026-01-01T00:00:00Z');

  it('ends LEGAL_DISCLOSURE_DAYS after approval, or at an earlier deadline', () => {
    expect(accessUntil(approvedAt, null, 30).toISOString()).toBe('2026-01-31T00:00:00.000Z');
    const early = new Date('2026-01-10T12:00:00Z');
    expect(accessUntil(approvedAt, early, 30)).toBe(early);
    const late = new Date('2026-03-01T00:00:00Z');
    expect(accessUntil(approvedAt, late, 30).toISOString()).toBe('2026-01-31T00:00:00.000Z');
  });

  it('is overdue only when undecided and past its deadline', () => {
    const deadline = new Date('2026-01-02T00:00:00Z');
    const after = new Date('2026-01-03T00:00:00Z');
    expect(isOverdue(S.SUBMITTED, deadline, after)).toBe(true);
    expect(isOverdue(S.UNDER_REVIEW, deadline, deadline)).toBe(true);
    expect(isOverdue(S.APPROVED, deadline, after)).toBe(false);
    expect(isOverdue(S.SUBMITTED, null, after)).toBe(false);
    expect(isOverdue(S.SUBMITTED, deadline, approvedAt)).toBe(false);
  });

  it('maps the token kinds (lowercase) to the GraphQL kinds; a RELEASE is never a token kind', () => {
    expect(KIND_OF_TOKEN).toEqual({ disclosure: LegalKind.DISCLOSURE, freeze: LegalKind.FREEZE, preservation: LegalKind.PRESERVATION });
  });
});

describe('workflow inputs', () => {
  it('an id must be a UUID; the refusal names the argument', () => {
    expect(() => requestId('12')).toThrow('id must be a legal request id (a UUID), got "12"');
    expect(() => requestId("x' OR 1=1", 'requestId')).toThrow(/^requestId must be a legal request id/);
    expect(requestId('0F8FAD5B-D9CB-469F-A165-70867728950E')).toBe('0f8fad5b-d9cb-469f-a165-70867728950e');
  });

  it('a required text is not blank and bounded; an optional one may be absent', () => {
    expect(() => requiredText('reason', '   ', 2048)).toThrow('reason is required and must not be blank');
    expect(() => requiredText('reason', 'x'.repeat(2049), 2048)).toThrow('reason must be at most 2048 characters, got 2049');
    expect(requiredText('reason', '  no legal basis ', 2048)).toBe('no legal basis');
    expect(() => optionalText('comment', 'y'.repeat(2049), 2048)).toThrow('comment must be at most 2048 characters');
    expect(optionalText('comment', undefined, 2048)).toBeNull();
    expect(optionalText('comment', ' ', 2048)).toBeNull();
    expect(optionalText('comment', 'ok', 2048)).toBe('ok');
  });
});
