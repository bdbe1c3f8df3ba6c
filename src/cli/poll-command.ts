// `poll`: RFC 8936 polling of one stream. Every SET is verified against the gateway JWKS before it
// is printed; what was printed is acknowledged in the next request (RFC 8936 section 2.4), so a
// crash between printing and acknowledging gives the notice again, never loses it (at least once).
// A SET that fails verification is refused through setErrs and makes the exit code 1.
import { Command } from 'commander';
import { createLocalJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { CliError, EXIT, usageError } from './cli-errors';
import { ConnectionOptions, GatewayClient, GatewayRefusal, withConnection } from './gateway-client';
import { examples, print } from './output';
import { shortType, sleep, ssfCall } from './ssf-client';
import { loadJwks } from './verify-commands';

interface PollFlags extends ConnectionOptions {
  stream?: string;
  max?: number;
  follow?: boolean;
  ackAll?: boolean;
  ack: boolean;
  jwks?: string;
}
interface PollAnswer {
  sets: Record<string, string>;
  moreAvailable: boolean;
}
type SetErr = { err: string; description: string };

/** RFC 8935 section 2.3 codes for a SET we refuse: the key or signature, else the request itself. */
function refusal(e: unknown): SetErr {
  const description = (e as Error).message.slice(0, 200);
  if (e instanceof errors.JWKSNoMatchingKey || e instanceof errors.JWSSignatureVerificationFailed || e instanceof errors.JOSEAlgNotAllowed || e instanceof errors.JWKSMultipleMatchingKeys) return { err: 'invalid_key', description };
  if (e instanceof errors.JWTClaimValidationFailed && e.claim === 'iss') return { err: 'invalid_issuer', description };
  if (e instanceof errors.JWTClaimValidationFailed && e.claim === 'aud') return { err: 'invalid_audience', description };
  return { err: 'invalid_request', description };
}

/** One line per notice: jti, event type, subject, the publishing partner and its event (txn), and the event's main field. */
function line(p: JWTPayload & Record<string, any>): string {
  const [type, body] = Object.entries((p.events ?? {}) as Record<string, Record<string, unknown>>)[0] ?? ['?', {}];
  const main = ['action', 'tier', 'category', 'state', 'status', 'retracts_jti', 'flag_jti'].filter((k) => body?.[k] !== undefined).map((k) => `${k}=${String(body[k])}`);
  const from = [body?.issuer ? `issuer=${String(body.issuer)}` : null, p.txn ? `txn=${String(p.txn)}` : null].filter(Boolean);
  return [p.jti, shortType(type), p.sub_id?.id ?? '-', ...from, ...main].join('  ');
}

export function registerPollCommand(program: Command): void {
  withConnection(program.command('poll'))
    .description('receive a poll stream\'s notices (RFC 8936): each SET verified against the gateway JWKS, printed, then acknowledged')
    .option('--stream <id>', 'the stream (a poll stream of yours)')
    .option('--max <n>', 'print at most this many notices, then stop', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw usageError(`--max must be a positive integer, got "${v}"`);
      return n;
    })
    .option('--follow', 'keep long-polling, printing each notice as it arrives, until Ctrl-C (or --max)')
    .option('--ack-all', 'drain: poll again while the gateway has more, until the stream is empty (default: one batch)')
    .option('--no-ack', 'only look: acknowledge nothing, so the notices come again')
    .option('--jwks <file-or-url>', 'the gateway JWKS (default: <url>/.well-known/jwks.json)')
    .addHelpText('after', examples(
      'risk-exchange poll --stream $STREAM',
      'risk-exchange poll --stream $STREAM --ack-all --json > notices.ndjson',
      'risk-exchange poll --stream $STREAM --follow',
    ) + '\nEach line: jti, event type, subject, the publishing partner (issuer=) and its event (txn=), the main field.\n--json prints NDJSON of the verified payloads. Printed notices are acknowledged in the next request (and\non Ctrl-C before exiting); a SET that fails verification is refused through setErrs (invalid_key,\ninvalid_issuer, invalid_audience or invalid_request), named on stderr, and the exit code is then 1.\n')
    .action(async (o: PollFlags) => {
      if (!o.stream) throw usageError('give --stream <id> (`risk-exchange stream list` shows your streams)');
      if (!o.ack && o.ackAll) throw usageError('--no-ack and --ack-all contradict each other');
      const client = GatewayClient.from(o);
      const id = o.stream;
      const path = `/ssf/poll/${encodeURIComponent(id)}`;
      // The stream's own configuration says which issuer and audience its SETs must carry.
      const config = (await ssfCall<Record<string, any>>(client, 'GET', `/ssf/streams?stream_id=${encodeURIComponent(id)}`)).body;
      if (config.delivery?.method !== 'urn:ietf:rfc:8936') throw usageError(`stream ${id} delivers by push to ${config.delivery?.endpoint_url}; only a poll stream can be polled (stream update ${id} --poll)`);
      const keys = createLocalJWKSet({ keys: await loadJwks(o.jwks ?? `${client.url}/.well-known/jwks.json`) } as JSONWebKeySet);

      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      let ack: string[] = [];
      let setErrs: Record<string, SetErr> = {};
      let printed = 0;
      let refused = 0;
      try {
        for (;;) {
          const remaining = o.max === undefined ? 100 : o.max - printed;
          const wanted = Math.min(100, remaining);
          const wait = !!o.follow && !stop.signal.aborted;
          let answer: PollAnswer;
          try {
            answer = (await ssfCall<PollAnswer>(client, 'POST', path, { maxEvents: wanted, returnImmediately: !wait, ...(ack.length ? { ack } : {}), ...(Object.keys(setErrs).length ? { setErrs } : {}) }, wait ? stop.signal : undefined)).body;
          } catch (e) {
            if (stop.signal.aborted) break; // Ctrl-C during a long poll: the acknowledgements are sent again below.
            if (o.follow && e instanceof GatewayRefusal && (e.code === 'rate_limited' || e.code === 'temporarily_unavailable')) {
              process.stderr.write(`the gateway asked to wait (${e.code}); polling again in ${e.retryAfterSeconds ?? 5} s\n`);
              await sleep((e.retryAfterSeconds ?? 5) * 1000, stop.signal);
              continue;
            }
            throw e;
          }
          ack = [];
          setErrs = {};
          for (const [jti, token] of Object.entries(answer.sets ?? {})) {
            try {
              const { payload } = await jwtVerify(token, keys, { issuer: config.iss, audience: config.aud, typ: 'secevent+jwt', algorithms: ['EdDSA', 'RS256'] });
              if (payload.jti !== jti) throw new Error(`the SET's jti ${String(payload.jti)} is not its key ${jti} in the poll answer`);
              const events = payload.events && typeof payload.events === 'object' ? Object.keys(payload.events) : [];
              if (events.length !== 1) throw new Error(`"events" has ${events.length} members; exactly one expected`);
              print(o.json ? JSON.stringify(payload) : line(payload as JWTPayload & Record<string, any>));
              printed++;
              if (o.ack) ack.push(jti);
            } catch (e) {
              refused++;
              const r = refusal(e);
              process.stderr.write(`refused SET ${jti}: ${r.err}: ${r.description}\n`);
              if (o.ack) setErrs[jti] = r;
            }
          }
          if (stop.signal.aborted || (o.max !== undefined && printed >= o.max)) break;
          if (!o.follow && !(o.ackAll && answer.moreAvailable)) break;
        }
      } finally {
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
      }
      // The last acknowledgements (or those of a long poll cut by Ctrl-C: sending them twice is harmless).
      if (ack.length || Object.keys(setErrs).length) await ssfCall(client, 'POST', path, { maxEvents: 0, returnImmediately: true, ack, setErrs });
      process.stderr.write(`${printed} notice(s) verified${o.ack ? ' and acknowledged' : ' (not acknowledged: --no-ack)'}${refused ? `; ${refused} refused (setErrs)` : ''}\n`);
      if (refused) throw new CliError(`${refused} SET(s) failed verification and were refused (see above)`, EXIT.refused);
    });
}
