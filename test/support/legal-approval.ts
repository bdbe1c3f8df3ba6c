import type { TestGateway } from './app';
import type { TestKey } from './keys';

const APPROVE = 'mutation($i: ApproveLegalRequestInput!) { approveLegalRequest(input: $i) { status } }';

/**
 * Approves a request through the real review mutation, once per reviewer (OPERATOR partners; the
 * bootstrap `operator` and one more make the four-eyes pair), stopping once it is decided.
 * Answers the status reached; throws the first refusal's message.
 */
export async function approveByReviewers(gw: TestGateway, requestId: string, reviewers: Array<{ id: string; key: TestKey }>): Promise<string> {
  let status = '';
  for (const r of reviewers) {
    const res = await gw.as(r.id, r.key, APPROVE, { i: { id: requestId, comment: `lawful order, checked by ${r.id}` } });
    if (res.errors) throw new Error(res.errors[0].message);
    status = res.data!.approveLegalRequest.status;
    if (status !== 'UNDER_REVIEW') break;
  }
  return status;
}
