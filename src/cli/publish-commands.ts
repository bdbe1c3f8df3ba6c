import { Command, InvalidArgumentError } from 'commander';
import { SingleBar } from 'cli-progress';
import * as fs from 'node:fs';
import { CliError, EXIT, usageError } from './cli-errors';
import { EventRefusal, EventSigner } from './event-signer';
import { ConnectionOptions, GatewayClient, GatewayRefusal, withConnection } from './gateway-client';
import { readLines } from './lines';
import { examples, printJson } from './output';
import { BatchRecord, linesHash, PublishJournal, Rejection } from './publish-journal';
import { eventSignerFrom } from './sign-commands';

interface PublishOptions extends ConnectionOptions {
  batch: number;
  concurrency: number;
  journal?: string;
  restart?: boolean;
  check?: boolean;
  aud: string;
}

interface Item {
  line: number;
  token: string | null;
  local?: Rejection;
}
interface Batch {
  file: string;
  from: number;
  to: number;
  lines: string[];
  items: Item[];
  /** Items being signed: signing is asynchronous (WebCrypto), so a batch's lines are signed at once, not one after the other. */
  signing: Array<Promise<Item>>;
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const MAX_TEMPORARY_RETRIES = 30;

const positiveInt = (max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`must be an integer in 1..${max}`);
  return n;
};

class Tally {
  accepted = 0;
  duplicate = 0;
  rejected: Rejection[] = [];
  skipped = { lines: 0, accepted: 0, duplicate: 0, rejected: 0 };
  progress = 0;
  /** Batches sent again after OVERLOADED, DATABASE_UNAVAILABLE or RATE_LIMITED. */
  retries = 0;
}

export function registerPublishCommands(program: Command): void {
  withConnection(program.command('publish'))
    .description('publish signed tokens, or unsigned JSON events (signed on the way), one per line from files or stdin, in batches; resumable')
    .argument('[files...]', 'NDJSON files: each line a compact SET, or an event in JSON (as for `sign --file`); none or "-" reads stdin')
    .option('--batch <n>', 'tokens per publishEvents call (at most the gateway\'s PUBLISH_MAX_BATCH, 500 by default)', positiveInt(5000), 100)
    .option('--concurrency <n>', 'batches in flight at once (the gateway ingests more in parallel; six batches of 100 stay under its per-partner admission share)', positiveInt(16), 6)
    .option('--journal <file>', 'where to note settled lines (default: <input>.riskx-journal next to the input; stdin has none unless given)')
    .option('--check', 'check each unsigned event against the profile here before sending (the gateway checks anyway, with the same verifier; this costs CPU)')
    .option('--restart', 'forget the journal and publish everything again (the gateway still answers DUPLICATE for what it has)')
    .addHelpText('after', examples(
      'risk-exchange publish events.ndjson',
      'risk-exchange sign --type account-flag --subject v1:kH3... --action warn | risk-exchange publish',
      'cat events.ndjson | risk-exchange publish --journal events.journal --json',
    ) + '\nAn interrupted publish (Ctrl-C, a crash, a lost gateway) resumes when run again: lines noted in\nthe journal are skipped; a batch that was in flight is sent again and answered DUPLICATE.\nExit code 1 when any line was REJECTED.\n')
    .action(async (files: string[], o: PublishOptions) => {
      const client = GatewayClient.from(o);
      let signer: EventSigner | undefined;
      const signerOf = () => (signer ??= eventSignerFrom(o, !!o.check));
      const inputs = files.length ? files : ['-'];
      if (o.journal && inputs.length > 1) throw usageError('--journal names one journal: give one input with it');
      for (const f of inputs) if (f !== '-' && !fs.existsSync(f)) throw usageError(`${f}: no such file`);
      const tally = new Tally();
      const started = Date.now();
      const bar = !o.json && process.stderr.isTTY ? new SingleBar({ format: 'publish [{bar}] {value}/{total} lines | {eta}s left', stream: process.stderr, hideCursor: true }) : null;
      bar?.start(inputs.every((f) => f !== '-') ? inputs.reduce((n, f) => n + countLines(f), 0) : 0, 0);
      let stop: string | null = null;
      const onSigint = () => {
        stop = 'interrupted (Ctrl-C)';
      };
      process.once('SIGINT', onSigint);
      let failure: Error | null = null;
      try {
        for (const file of inputs) {
          if (file === '-' && !o.journal) process.stderr.write('publish: reading stdin without --journal: an interrupted run cannot be resumed line by line (the gateway still answers DUPLICATE)\n');
          const journal = PublishJournal.open(o.journal ?? (file === '-' ? null : `${file}.riskx-journal`), !!o.restart);
          try {
            failure = await publishInput(file, journal, client, signerOf, o, tally, bar, () => stop);
          } finally {
            journal.close();
          }
          if (failure || stop) break;
        }
      } finally {
        process.removeListener('SIGINT', onSigint);
        bar?.stop();
      }
      const seconds = (Date.now() - started) / 1000;
      report(tally, seconds, o.json);
      if (failure || stop) {
        const why = failure ? failure.message : stop;
        throw new CliError(`publish stopped: ${why}\nsettled lines are in the journal; run the same command again to publish the rest`, failure instanceof CliError ? failure.exitCode : EXIT.refused);
      }
      if (tally.rejected.length) process.exitCode = EXIT.refused;
    });
}

/** The lines the bar counts: blank ones are skipped by publish, so they are not counted here either. */
function countLines(file: string): number {
  let n = 0;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) if (line.trim()) n++;
  return n;
}

async function publishInput(
  file: string, journal: PublishJournal, client: GatewayClient, signerOf: () => EventSigner, o: PublishOptions, tally: Tally,
  bar: SingleBar | null, stopped: () => string | null,
): Promise<Error | null> {
  const earlier = journal.byFirstLine();
  const name = file === '-' ? 'stdin' : file;
  const inFlight = new Set<Promise<void>>();
  let failure: Error | null = null;
  let skipping: { rec: BatchRecord; lines: string[] } | null = null;
  let batch: Batch | null = null;

  const dispatch = async () => {
    const b = batch;
    batch = null;
    if (!b) return;
    b.items = await Promise.all(b.signing);
    while (inFlight.size >= o.concurrency) await Promise.race(inFlight);
    if (failure) return;
    const p: Promise<void> = sendBatch(client, b, tally).then(
      (record) => {
        journal.append(record);
        tally.accepted += record.accepted;
        tally.duplicate += record.duplicate;
        tally.rejected.push(...record.rejected);
        tally.progress += b.lines.length;
        bar?.update(tally.progress);
      },
      (e: Error) => {
        failure ??= e;
      },
    ).finally(() => inFlight.delete(p));
    inFlight.add(p);
  };

  const growTotal = bar && file === '-'; // stdin: the total is what has been read so far
  for await (const { lineNo, text } of readLines(file)) {
    if (failure || stopped()) break;
    if (!text.trim()) continue;
    if (growTotal) bar.setTotal(lineNo);
    if (!skipping && earlier.has(lineNo)) {
      await dispatch();
      skipping = { rec: earlier.get(lineNo)!, lines: [] };
    }
    if (skipping) {
      skipping.lines.push(text);
      if (lineNo >= skipping.rec.to) {
        if (linesHash(skipping.lines) !== skipping.rec.sha256) {
          failure = usageError(`${name} changed since lines ${skipping.rec.from}..${skipping.rec.to} were published (journal ${journal.path}); publish the changed file with --restart`);
          break;
        }
        tally.skipped.lines += skipping.lines.length;
        tally.skipped.accepted += skipping.rec.accepted;
        tally.skipped.duplicate += skipping.rec.duplicate;
        tally.skipped.rejected += skipping.rec.rejected.length;
        tally.progress += skipping.lines.length;
        bar?.update(tally.progress);
        skipping = null;
      }
      continue;
    }
    batch ??= { file: name, from: lineNo, to: lineNo, lines: [], items: [], signing: [] };
    batch.to = lineNo;
    batch.lines.push(text);
    batch.signing.push(itemOf(text.trim(), lineNo, name, signerOf));
    if (batch.signing.length >= o.batch) await dispatch();
  }
  if (skipping && !failure) failure = usageError(`${name} is shorter than when lines ${skipping.rec.from}..${skipping.rec.to} were published (journal ${journal.path}); give --restart`);
  if (!failure && !stopped()) await dispatch();
  await Promise.all(inFlight);
  return failure;
}

async function itemOf(text: string, line: number, file: string, signerOf: () => EventSigner): Promise<Item> {
  const local = (code: string, description: string): Item => ({ line, token: null, local: { file, line, jti: null, code, description } });
  if (COMPACT_JWS.test(text)) return { line, token: text };
  if (!text.startsWith('{')) return local('invalid_request', 'the line is neither a compact SET nor a JSON event');
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch {
    return local('invalid_request', 'the line is not valid JSON');
  }
  try {
    return { line, token: (await signerOf().sign(event)).token };
  } catch (e) {
    if (e instanceof EventRefusal) return { line, token: null, local: { file, line, jti: typeof (event as { jti?: unknown }).jti === 'string' ? (event as { jti: string }).jti : null, code: e.code, description: `not signed: ${e.message}` } };
    throw e;
  }
}

interface PublishResult {
  index: number;
  jti: string | null;
  status: 'ACCEPTED' | 'DUPLICATE' | 'REJECTED';
  code: string | null;
  description: string | null;
}

/** One publishEvents call; a temporary refusal (overload, outage, budget) is retried after the time the gateway asked for. */
async function sendBatch(client: GatewayClient, b: Batch, tally: Tally): Promise<BatchRecord> {
  const record: BatchRecord = { from: b.from, to: b.to, sha256: linesHash(b.lines), accepted: 0, duplicate: 0, rejected: [] };
  const sent = b.items.filter((i) => i.token !== null);
  for (const i of b.items) if (i.local) record.rejected.push(i.local);
  if (!sent.length) return record;
  let results: PublishResult[] = [];
  for (let attempt = 1; ; attempt++) {
    try {
      results = (await client.gql<{ publishEvents: PublishResult[] }>(
        'mutation($t: [String!]!) { publishEvents(tokens: $t) { index jti status code description } }',
        { t: sent.map((i) => i.token) },
      )).publishEvents;
      break;
    } catch (e) {
      if (e instanceof GatewayRefusal && e.temporary && attempt < MAX_TEMPORARY_RETRIES) {
        tally.retries++;
        await new Promise((r) => setTimeout(r, Math.min(30, e.retryAfterSeconds ?? 1) * 1000));
        continue;
      }
      if (e instanceof GatewayRefusal && e.code === 'BAD_USER_INPUT' && /batch|at most/i.test(e.gatewayMessage)) {
        throw usageError(`${e.message} (lower --batch)`);
      }
      throw e;
    }
  }
  for (const r of results) {
    if (r.status === 'ACCEPTED') record.accepted++;
    else if (r.status === 'DUPLICATE') record.duplicate++;
    else record.rejected.push({ file: b.file, line: sent[r.index].line, jti: r.jti, code: r.code ?? 'unknown', description: r.description ?? '' });
  }
  record.rejected.sort((x, y) => x.line - y.line);
  return record;
}

function report(t: Tally, seconds: number, json?: boolean): void {
  const sent = t.accepted + t.duplicate + t.rejected.length;
  const rate = Math.round(sent / Math.max(seconds, 0.001));
  if (json) {
    printJson({ accepted: t.accepted, duplicate: t.duplicate, rejected: t.rejected.length, skipped: t.skipped, retries: t.retries, seconds, perSecond: rate, rejections: t.rejected });
    return;
  }
  const lines = [
    `published ${sent} line(s) in ${seconds.toFixed(1)} s (${rate}/s)`,
    `  ACCEPTED   ${t.accepted}`,
    `  DUPLICATE  ${t.duplicate}`,
    `  REJECTED   ${t.rejected.length}`,
  ];
  if (t.retries) lines.push(`  (${t.retries} batch(es) sent again after the gateway asked to wait: overload, outage or rate budget)`);
  if (t.skipped.lines) lines.push(`  skipped    ${t.skipped.lines} line(s) settled by an earlier run (${t.skipped.accepted} accepted, ${t.skipped.duplicate} duplicate, ${t.skipped.rejected} rejected then)`);
  const shown = t.rejected.slice(0, 20);
  if (shown.length) lines.push('rejected:', ...shown.map((r) => `  ${r.file}:${r.line}${r.jti ? ` (jti ${r.jti})` : ''}: ${r.code}: ${r.description}`));
  if (t.rejected.length > shown.length) lines.push(`  ... and ${t.rejected.length - shown.length} more (--json lists all)`);
  process.stdout.write(lines.join('\n') + '\n');
}
