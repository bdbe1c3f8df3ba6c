import { Command } from 'commander';
import { usageError } from './cli-errors';
import { ConnectionOptions, GatewayClient, withConnection } from './gateway-client';
import { readLines } from './lines';
import { examples, print, printJson, table } from './output';

interface Score {
  subject: string;
  score: number;
  tier: string;
  recommendedAction: string;
  rationale: string[];
  firstTime: boolean;
  episodeCount: number;
  corroboratingPartners: number;
  withheld: { count: number; combinedStrength: number };
  contributions?: Array<{ issuer: string; category: string; strength: number; observedAt: string; reasonCodes: string[] | null }>;
}

const FIELDS = 'subject score tier recommendedAction rationale firstTime episodeCount corroboratingPartners withheld { count combinedStrength }';
/** riskScores takes up to 100 subjects a call. */
const PER_CALL = 100;

/** Subjects from stdin: one per line, or NDJSON objects with "subject" (what hash-subject prints). */
async function subjectsFromStdin(): Promise<string[]> {
  const out: string[] = [];
  for await (const { lineNo, text } of readLines()) {
    const t = text.trim();
    if (!t) continue;
    if (t.startsWith('{')) {
      let s: unknown;
      try {
        s = (JSON.parse(t) as { subject?: unknown }).subject;
      } catch {
        throw usageError(`stdin line ${lineNo}: not JSON`);
      }
      if (typeof s !== 'string') throw usageError(`stdin line ${lineNo}: no "subject" field`);
      out.push(s);
    } else {
      const subject = t.includes(',') ? t.slice(t.lastIndexOf(',') + 1) : t; // a hash-subject CSV row ends with the subject
      if (subject !== 'subject') out.push(subject); // ... and its header with the column name
    }
  }
  return out;
}

export function registerScoreCommands(program: Command): void {
  withConnection(program.command('score'))
    .description('the merged risk score of one or many subjects, with the rationale')
    .argument('[subjects...]', 'subject ids (v1:...); none reads them from stdin, one per line or hash-subject output')
    .option('--as-of <instant>', 'one subject: the score as it stood then (RFC 3339)')
    .addHelpText('after', examples(
      'risk-exchange score v1:kH3PqG...',
      'risk-exchange hash-subject --kind phone --column mobile < customers.csv | risk-exchange score',
      'risk-exchange score v1:kH3PqG... --as-of 2026-01-31T09:00:00Z --json',
    ))
    .action(async (args: string[], o: ConnectionOptions & { asOf?: string }) => {
      const client = GatewayClient.from(o);
      const subjects = args.length ? args : await subjectsFromStdin();
      if (!subjects.length) throw usageError('give at least one subject id');
      if (subjects.length === 1) {
        const s = (await client.gql<{ riskScore: Score }>(
          `query($s: String!, $a: DateTime) { riskScore(subject: $s, asOf: $a) { ${FIELDS} contributions(first: 10) { issuer category strength observedAt reasonCodes } } }`,
          { s: subjects[0], a: o.asOf ?? null },
        )).riskScore;
        if (o.json) return printJson(s);
        return print(detail(s));
      }
      if (o.asOf) throw usageError('--as-of reads one subject at a time');
      const scores: Score[] = [];
      for (let i = 0; i < subjects.length; i += PER_CALL) {
        scores.push(...(await client.gql<{ riskScores: Score[] }>(`query($s: [String!]!) { riskScores(subjects: $s) { ${FIELDS} } }`, { s: subjects.slice(i, i + PER_CALL) })).riskScores);
      }
      if (o.json) return printJson(scores);
      print(table(scores.map((s) => ({ ...s, score: s.score.toFixed(3), why: s.rationale[s.rationale.length - 1] })), [['subject', 'SUBJECT'], ['tier', 'TIER'], ['score', 'SCORE'], ['recommendedAction', 'ACTION'], ['why', 'WHY (last step; one subject shows all)']], 70));
    });
}

function detail(s: Score): string {
  const lines = [
    `subject   ${s.subject}`,
    `tier      ${s.tier}   score ${s.score.toFixed(3)}   ${s.firstTime ? 'first time' : `repeat (${s.episodeCount} episode(s))`}   corroborating partners ${s.corroboratingPartners}`,
    `action    ${s.recommendedAction}`,
    'why:',
    ...s.rationale.map((r, i) => `  ${i + 1}. ${r}`),
  ];
  if (s.withheld.count) lines.push(`withheld  ${s.withheld.count} signal(s) you may not see, combined strength ${s.withheld.combinedStrength.toFixed(3)}`);
  if (s.contributions?.length) {
    lines.push('signals you may see:');
    lines.push(table(s.contributions.map((c) => ({ ...c, strength: c.strength.toFixed(3) })), [['issuer', 'ISSUER'], ['category', 'CATEGORY'], ['strength', 'STRENGTH'], ['observedAt', 'OBSERVED'], ['reasonCodes', 'REASONS']]).trimEnd().replace(/^/gm, '  '));
  }
  return lines.join('\n');
}
