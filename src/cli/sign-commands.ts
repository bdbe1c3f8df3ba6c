import { Command, Option } from 'commander';
import * as fs from 'node:fs';
import { CATEGORIES, DISTRIBUTIONS, FLAG_ACTIONS, LEGAL_KINDS, RETRACTION_REASONS } from '../events/set-profile';
import { refusedError, usageError } from './cli-errors';
import { EventRefusal, EventSigner, SHORT_TYPES } from './event-signer';
import { partnerIdOf, readPrivateJwk } from './gateway-client';
import { examples, printJson } from './output';

interface SignOptions {
  key?: string;
  partner?: string;
  aud: string;
  file?: string;
  json?: boolean;
  [flag: string]: unknown;
}

// Flag name (camelCase, as commander gives it) -> claim field of the short event form.
const FIELD_FLAGS: Record<string, string> = {
  type: 'type', subject: 'subject', jti: 'jti', txn: 'txn', iat: 'iat',
  category: 'category', score: 'score', confidence: 'confidence', reasonCodes: 'reason_codes', observedAt: 'observed_at',
  expiresAt: 'expires_at', distribution: 'distribution', evidence: 'evidence', action: 'action', effectiveAt: 'effective_at',
  flagJti: 'flag_jti', retractsJti: 'retracts_jti', reason: 'reason', legalKind: 'kind', legalBasis: 'legal_basis',
  caseReference: 'case_reference', authority: 'authority', deadline: 'deadline', justification: 'justification',
};
const NUMBER_FIELDS = new Set(['score', 'confidence']);

/** The signing key and issuer of commands that sign (sign, publish). */
export function eventSignerFrom(o: { key?: string; partner?: string; aud: string }, check = true): EventSigner {
  if (!o.key) throw usageError('give --key <file> or set RISKX_KEY (your private JWK file): events are signed with it');
  return new EventSigner(readPrivateJwk(o.key), partnerIdOf(o.partner), o.aud, check);
}

function eventFromFlags(o: SignOptions): Record<string, unknown> {
  const event: Record<string, unknown> = {};
  for (const [flag, field] of Object.entries(FIELD_FLAGS)) {
    const v = o[flag];
    if (v === undefined) continue;
    if (NUMBER_FIELDS.has(field)) {
      const n = Number(v);
      if (v === '' || !Number.isFinite(n)) throw usageError(`--${flag.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} must be a number`);
      event[field] = n;
    } else {
      event[field] = v;
    }
  }
  return event;
}

export function registerSignCommands(program: Command): void {
  program
    .command('sign')
    .description('build a SET of any event type from flags or a JSON file, check it against the token profile, sign it and print it')
    .addOption(new Option('--key <file>', 'your private JWK file').env('RISKX_KEY'))
    .addOption(new Option('--partner <id>', 'your partner id (the iss)').env('RISKX_PARTNER'))
    .addOption(new Option('--aud <audience>', 'gateway audience').env('GATEWAY_AUDIENCE').default('risk-exchange'))
    .option('--file <file>', 'the event as JSON: the short form {"type":..,"subject":..,fields} or full claims with "events"')
    .addOption(new Option('--type <type>', 'event type').choices(SHORT_TYPES))
    .option('--subject <id>', 'subject id (v1:..., from hash-subject)')
    .option('--jti <jti>', 'event id (default: derived from the content, so a re-sign is a duplicate)')
    .option('--txn <txn>', 'groups events of one root cause')
    .option('--iat <when>', 'issued at: seconds or RFC 3339 (default: now)')
    .addOption(new Option('--category <c>', 'risk-signal: category').choices(CATEGORIES))
    .option('--score <p>', 'risk-signal: probability of abuse, 0..1')
    .option('--confidence <p>', 'risk-signal: 0..1 (default 1)')
    .option('--reason-codes <codes>', 'comma-separated, each ^[a-z0-9_]{1,64}$')
    .option('--observed-at <when>', 'risk-signal: seconds or RFC 3339')
    .option('--expires-at <when>', 'risk-signal, account-flag: seconds or RFC 3339')
    .addOption(new Option('--distribution <d>', 'risk-signal, account-flag').choices(DISTRIBUTIONS))
    .option('--evidence <json>', 'risk-signal: a JSON object, at most 4 KiB')
    .addOption(new Option('--action <a>', 'account-flag: what you did').choices(FLAG_ACTIONS))
    .option('--effective-at <when>', 'account-flag: seconds or RFC 3339')
    .option('--flag-jti <jti>', 'flag-lifted: the jti of your earlier account-flag')
    .option('--retracts-jti <jti>', 'retraction: the jti of your earlier signal or flag')
    .addOption(new Option('--reason <r>', 'retraction: why').choices(RETRACTION_REASONS))
    .addOption(new Option('--legal-kind <k>', 'legal-request: kind').choices(LEGAL_KINDS))
    .option('--legal-basis <text>', 'legal-request')
    .option('--case-reference <text>', 'legal-request')
    .option('--authority <text>', 'legal-request')
    .option('--deadline <when>', 'legal-request: seconds or RFC 3339')
    .option('--justification <text>', 'legal-request')
    .option('--json', 'print {jti, token, claims}')
    .addHelpText('after', examples(
      'risk-exchange sign --type risk-signal --subject v1:kH3... --category cash_out --score 0.8 --reason-codes burst_large_txn',
      'risk-exchange sign --type account-flag --subject v1:kH3... --action freeze',
      'risk-exchange sign --file event.json --json',
    ))
    .action(async (o: SignOptions) => {
      const signer = eventSignerFrom(o);
      let event: unknown;
      if (o.file) {
        if (o.type) throw usageError('give the event either as --file or as flags (--type ...), not both');
        let text: string;
        try {
          text = fs.readFileSync(o.file, 'utf8');
        } catch (e) {
          throw usageError(`cannot read ${o.file} (${(e as NodeJS.ErrnoException).code})`);
        }
        try {
          event = JSON.parse(text);
        } catch {
          throw usageError(`${o.file} is not JSON`);
        }
      } else {
        if (!o.type) throw usageError(`give --type (${SHORT_TYPES.join(', ')}) and its fields, or --file <event.json>`);
        event = eventFromFlags(o);
      }
      try {
        const signed = await signer.sign(event);
        if (o.json) return printJson(signed);
        process.stdout.write(signed.token + '\n');
      } catch (e) {
        if (e instanceof EventRefusal) throw refusedError(`not signed: the gateway would refuse it (${e.code}): ${e.message}`);
        throw e;
      }
    });
}
