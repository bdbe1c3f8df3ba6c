// Bench only (`node -r dist/bench/audit-off.js ...`): turns the audit append into a no-op, to
// measure what the audit log costs on the publish path. Never loaded by the gateway itself.
import { AuditService } from '../src/audit/audit.service';

let seq = 0;
AuditService.prototype.append = async function append(_tx, input) {
  seq++;
  return { ...input, seq, at: new Date(), target: input.target ?? null, details: input.details ?? {}, concerns: [], prevHash: '', hash: '' };
};
process.stderr.write('bench: audit appends are OFF in this process\n');
