// `stream` (SSF stream management over /ssf/streams, /ssf/status, /ssf/subjects:add|remove,
// /ssf/verify) and `poll` (./poll-command.ts), issue 16. Each call carries the partner assertion
// the CLI mints; gateway refusals show the gateway's err code and description (exit 1).
import { Command, Option } from 'commander';
import { CliError, EXIT, usageError } from './cli-errors';
import { ConnectionOptions, GatewayClient, GatewayRefusal, withConnection } from './gateway-client';
import { examples, print, printJson, table } from './output';
import { registerPollCommand } from './poll-command';
import { eventTypes, shortType, sleep, ssfCall } from './ssf-client';
import { checked, SubjectLine, subjectLines } from './subject-input';

type Stream = Record<string, any>;
interface StreamFlags extends ConnectionOptions {
  events?: string;
  description?: string;
  push?: string;
  poll?: boolean;
  authorizationHeader?: string;
  signingAlg?: string;
}

/** The stream body from the flags: only what was given, so an update (a PATCH) leaves the rest. */
function streamBody(o: StreamFlags): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (o.events !== undefined) {
    try {
      body.events_requested = eventTypes(o.events);
    } catch (e) {
      throw usageError(`--events: ${(e as Error).message}`);
    }
  }
  if (o.description !== undefined) body.description = o.description;
  if (o.push && o.poll) throw usageError('give --push <url> or --poll, not both');
  if (o.push) body.delivery = { method: 'urn:ietf:rfc:8935', endpoint_url: o.push, ...(o.authorizationHeader !== undefined ? { authorization_header: o.authorizationHeader } : {}) };
  else if (o.poll) body.delivery = { method: 'urn:ietf:rfc:8936' };
  else if (o.authorizationHeader !== undefined) throw usageError('--authorization-header goes with --push <url>');
  if (o.signingAlg) body.signing_alg = o.signingAlg;
  return body;
}

function withStreamFlags(cmd: Command): Command {
  return withConnection(cmd)
    .option('--events <list>', 'comma-separated event types to receive: short names (account-flag, flag-lifted, risk-signal, retraction, risk-tier-changed, risk-level-change), "all", or full URIs')
    .option('--description <text>', 'a description for people')
    .option('--push <url>', 'deliver by push (RFC 8935) to this https URL')
    .option('--poll', 'deliver by polling (RFC 8936, the default for a new stream)')
    .option('--authorization-header <value>', 'push: the Authorization header the gateway sends (never shown again)')
    .addOption(new Option('--signing-alg <alg>', 'how the gateway signs this stream\'s SETs').choices(['EdDSA', 'RS256']));
}

const method = (s: Stream) => (s.delivery?.method === 'urn:ietf:rfc:8935' ? `push ${s.delivery.endpoint_url}` : 'poll');

function printStream(s: Stream, json?: boolean): void {
  if (json) return printJson(s);
  const rows: Array<[string, unknown]> = [
    ['stream', s.stream_id], ['delivery', method(s)], ['poll at', s.delivery?.method === 'urn:ietf:rfc:8936' ? s.delivery.endpoint_url : undefined],
    ['events', (s.events_delivered ?? []).map(shortType).join(', ') || '(control events only)'], ['description', s.description],
    ['audience', s.aud], ['issuer', s.iss], ['signing alg', s.signing_alg], ['verification', s.min_verification_interval !== undefined ? `at most every ${s.min_verification_interval} s` : undefined],
  ];
  print(rows.filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => `${(k + ':').padEnd(14)}${String(v)}`).join('\n'));
}

function requireId(id: string | undefined): string {
  if (!id) throw usageError('give --stream <id> (`risk-exchange stream list` shows your streams)');
  return id;
}

export function registerDeliveryCommands(program: Command): void {
  const stream = program.command('stream').description('your SSF streams: what the gateway tells you, about which subjects, and how')
    .addHelpText('after', examples('risk-exchange stream create --events account-flag,retraction,risk-tier-changed --description "fraud desk"', 'risk-exchange hash-subject --kind phone < customers.csv | risk-exchange stream add-subjects --stream $STREAM -', 'risk-exchange poll --stream $STREAM --follow'));

  withStreamFlags(stream.command('create'))
    .description('create a stream (polled unless --push); prints its id')
    .addHelpText('after', examples('risk-exchange stream create --events account-flag,retraction --description "fraud desk"', 'risk-exchange stream create --events all --push https://bank-a.example/ssf --authorization-header "Bearer s3cret" --json'))
    .action(async (o: StreamFlags) => {
      const body = streamBody(o);
      body.events_requested ??= eventTypes('all');
      const s = (await ssfCall<Stream>(GatewayClient.from(o), 'POST', '/ssf/streams', body)).body;
      printStream(s, o.json);
    });

  withConnection(stream.command('show'))
    .description('one stream\'s configuration')
    .argument('<stream-id>')
    .addHelpText('after', examples('risk-exchange stream show ddc35c3d-7695-4763-9680-6a6430b86f5e --json'))
    .action(async (id: string, o: ConnectionOptions) => {
      printStream((await ssfCall<Stream>(GatewayClient.from(o), 'GET', `/ssf/streams?stream_id=${encodeURIComponent(id)}`)).body, o.json);
    });

  withConnection(stream.command('list'))
    .description('your streams')
    .addHelpText('after', examples('risk-exchange stream list', 'risk-exchange stream list --json'))
    .action(async (o: ConnectionOptions) => {
      const all = (await ssfCall<Stream[]>(GatewayClient.from(o), 'GET', '/ssf/streams')).body;
      if (o.json) return printJson(all);
      if (!all.length) return print('no streams (create one with `risk-exchange stream create`)');
      print(table(all.map((s) => ({ ...s, method: method(s), events: (s.events_delivered ?? []).map(shortType) })), [['stream_id', 'STREAM'], ['method', 'DELIVERY'], ['events', 'EVENTS'], ['description', 'DESCRIPTION']], 70));
    });

  withStreamFlags(stream.command('update'))
    .description('change a stream: only the flags given change (a merge, PATCH)')
    .argument('<stream-id>')
    .addHelpText('after', examples('risk-exchange stream update $STREAM --events account-flag,risk-level-change', 'risk-exchange stream update $STREAM --description "night shift"'))
    .action(async (id: string, o: StreamFlags) => {
      const body = streamBody(o);
      if (!Object.keys(body).length) throw usageError('nothing to change: give --events, --description, --push/--poll or --signing-alg');
      printStream((await ssfCall<Stream>(GatewayClient.from(o), 'PATCH', '/ssf/streams', { stream_id: id, ...body })).body, o.json);
    });

  withConnection(stream.command('delete'))
    .description('delete a stream with its subjects and undelivered notices')
    .argument('<stream-id>')
    .addHelpText('after', examples('risk-exchange stream delete $STREAM'))
    .action(async (id: string, o: ConnectionOptions) => {
      await ssfCall(GatewayClient.from(o), 'DELETE', `/ssf/streams?stream_id=${encodeURIComponent(id)}`);
      if (o.json) return printJson({ stream_id: id, deleted: true });
      print(`deleted stream ${id}`);
    });

  withConnection(stream.command('status'))
    .description('show a stream\'s status, or set it (paused holds notices, enabled releases them, disabled drops them)')
    .argument('<stream-id>')
    .addOption(new Option('--set <status>', 'the new status').choices(['enabled', 'paused', 'disabled']))
    .option('--reason <text>', 'why (kept with the status)')
    .addHelpText('after', examples('risk-exchange stream status $STREAM', 'risk-exchange stream status $STREAM --set paused --reason "maintenance window"'))
    .action(async (id: string, o: ConnectionOptions & { set?: string; reason?: string }) => {
      if (o.reason !== undefined && !o.set) throw usageError('--reason goes with --set <status>');
      const client = GatewayClient.from(o);
      const s = o.set
        ? (await ssfCall<Stream>(client, 'POST', '/ssf/status', { stream_id: id, status: o.set, ...(o.reason !== undefined ? { reason: o.reason } : {}) })).body
        : (await ssfCall<Stream>(client, 'GET', `/ssf/status?stream_id=${encodeURIComponent(id)}`)).body;
      if (o.json) return printJson(s);
      print(`${s.stream_id}: ${s.status}${s.reason ? ` (${s.reason})` : ''}`);
    });

  withConnection(stream.command('verify'))
    .description('ask for a verification event on the stream (SSF 8.1.4); poll to receive it')
    .argument('<stream-id>')
    .option('--state <text>', 'echoed in the verification event', `cli-${Date.now()}`)
    .addHelpText('after', examples('risk-exchange stream verify $STREAM --state check-1 && risk-exchange poll --stream $STREAM'))
    .action(async (id: string, o: ConnectionOptions & { state: string }) => {
      await ssfCall(GatewayClient.from(o), 'POST', '/ssf/verify', { stream_id: id, state: o.state });
      if (o.json) return printJson({ stream_id: id, state: o.state, requested: true });
      print(`verification requested on ${id} (state ${o.state}): poll the stream to receive it`);
    });

  for (const [name, verb, path] of [['add-subjects', 'add', '/ssf/subjects:add'], ['remove-subjects', 'remove', '/ssf/subjects:remove']] as const) {
    withConnection(stream.command(name))
      .description(`${verb} subjects ${verb === 'add' ? 'to' : 'from'} a stream: ids as arguments, or "-" / --file for one per line or hash-subject output (NDJSON or CSV with a "subject" column)`)
      .argument('[ids...]', 'subject ids (v1:...), or "-" to read stdin')
      .option('--stream <id>', 'the stream')
      .option('--file <file>', 'read ids from a file')
      .option('--column <name>', 'the field (NDJSON) or column (CSV) holding the id', 'subject')
      .option('--concurrency <n>', 'calls in flight', (v) => Math.max(1, Math.min(32, Number(v) || 1)), 4)
      .addHelpText('after', examples(
        `risk-exchange stream ${name} --stream $STREAM v1:d-J4Z9j6wE2SO7cuOdyyRJuK45akgoE6rVLZd2-mv5U`,
        `risk-exchange hash-subject --kind phone --phone-country 86 --column mobile < customers.csv | risk-exchange stream ${name} --stream $STREAM -`,
        `risk-exchange stream ${name} --stream $STREAM --file subjects.csv --json`,
      ) + '\nOne call per subject (SSF has no batch); a rate-limited call is sent again after Retry-After. Bad lines are\nnamed on stderr and the exit code is then 1.\n')
      .action(async (ids: string[], o: ConnectionOptions & { stream?: string; file?: string; column: string; concurrency: number }) => {
        const streamId = requireId(o.stream);
        const fromStdin = ids.length === 1 && ids[0] === '-';
        if (o.file && ids.length) throw usageError('give ids as arguments or --file, not both');
        if (!o.file && !ids.length && process.stdin.isTTY) throw usageError('give subject ids, "-" to read stdin, or --file <file>');
        const client = GatewayClient.from(o);
        const source: AsyncIterable<SubjectLine> = o.file || fromStdin || !ids.length ? subjectLines(o.file ?? '-', o.column) : (async function* () {
          for (const [i, id] of ids.entries()) yield checked(id, `argument ${i + 1}`);
        })();
        const summary = await changeSubjects(client, path, streamId, source, o.concurrency);
        if (o.json) printJson({ stream_id: streamId, [verb === 'add' ? 'added' : 'removed']: summary.done, repeated: summary.repeated, failed: summary.failed });
        else print(`${verb === 'add' ? 'added' : 'removed'} ${summary.done} subject(s) ${verb === 'add' ? 'to' : 'from'} ${streamId}${summary.repeated ? `, ${summary.repeated} repeated line(s) skipped` : ''}${summary.failed.length ? `, ${summary.failed.length} line(s) refused` : ''}`);
        if (summary.failed.length) throw new CliError(`${summary.failed.length} subject line(s) not ${verb === 'add' ? 'added' : 'removed'} (see the lines above)`, EXIT.refused);
      });
  }

  registerPollCommand(program);
}

/** Sends one call per id, a few in flight; progress on a terminal; stops at a refusal that is not about one subject. */
async function changeSubjects(client: GatewayClient, path: string, streamId: string, source: AsyncIterable<SubjectLine>, concurrency: number) {
  const seen = new Set<string>();
  const failed: Array<{ where: string; error: string }> = [];
  let done = 0;
  let repeated = 0;
  const tty = process.stderr.isTTY;
  const inFlight = new Set<Promise<void>>();
  let fatal: unknown = null;
  const fail = (where: string, error: string) => {
    failed.push({ where, error });
    process.stderr.write(`${tty ? '\r' : ''}${where}: ${error}\n`);
  };
  const send = async (line: SubjectLine): Promise<void> => {
    for (;;) {
      try {
        await ssfCall(client, 'POST', path, { stream_id: streamId, subject: { format: 'opaque', id: line.id } });
        done++;
        if (tty && done % 50 === 0) process.stderr.write(`\r${done} subject(s)…`);
        return;
      } catch (e) {
        if (e instanceof GatewayRefusal && e.code === 'rate_limited') {
          await sleep((e.retryAfterSeconds ?? 1) * 1000);
          continue;
        }
        // A 400 names this subject; anything else (404 stream, 401, 403, 409 cap) ends the run.
        if (e instanceof GatewayRefusal && e.code === 'invalid_request') return fail(line.where, e.gatewayMessage);
        throw e;
      }
    }
  };
  for await (const line of source) {
    if (line.error) {
      fail(line.where, line.error);
      continue;
    }
    if (seen.has(line.id!)) {
      repeated++;
      continue;
    }
    seen.add(line.id!);
    // A fatal refusal is kept, not thrown from here, so the calls still in flight settle first.
    const p: Promise<void> = send(line).catch((e) => void (fatal ??= e)).finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= concurrency) await Promise.race(inFlight);
    if (fatal) break;
  }
  await Promise.all(inFlight);
  if (fatal) throw fatal;
  if (tty) process.stderr.write('\r');
  return { done, repeated, failed };
}
