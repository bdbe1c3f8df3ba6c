import { Command, Option } from 'commander';
import * as fs from 'node:fs';
import { CliError, EXIT, usageError } from './cli-errors';
import { csvField, parseCsvLine, readLines } from './lines';
import { examples, printJson } from './output';
import { isSubjectKind, normalizeIdentifier, NormalizeOptions, parseLinkageKey, SUBJECT_KINDS, SubjectKind, subjectIdOf } from './subject-id';

interface HashOptions {
  kind?: SubjectKind;
  linkageKeyFile?: string;
  phoneCountry?: string;
  format?: 'csv' | 'ndjson';
  column: string;
  json?: boolean;
}

/** The linkage key from --linkage-key-file, else the RISKX_LINKAGE_KEY text. */
export function linkageKeyFrom(file: string | undefined): Buffer {
  try {
    if (file) {
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (e) {
        throw usageError(`cannot read the linkage key file ${file} (${(e as NodeJS.ErrnoException).code})`);
      }
      return parseLinkageKey(text, file);
    }
    const env = process.env.RISKX_LINKAGE_KEY;
    if (!env) throw usageError('give --linkage-key-file <file> or set RISKX_LINKAGE_KEY: the consortium linkage key (base64, 32+ bytes) every partner shares');
    return parseLinkageKey(env, 'RISKX_LINKAGE_KEY');
  } catch (e) {
    throw e instanceof CliError ? e : usageError((e as Error).message);
  }
}

export function registerHashCommands(program: Command): void {
  program
    .command('hash-subject')
    .description('make the profile\'s pseudonymous subject id (v1:...) of a phone number, national ID, bank card or e-mail; reads many from stdin (CSV or NDJSON) when no value is given')
    .argument('[values...]', 'identifiers to hash (each needs --kind)')
    .addOption(new Option('--kind <kind>', 'what the identifiers are (bulk input may give it per row in a "kind" column/field)').choices(SUBJECT_KINDS))
    .option('--linkage-key-file <file>', 'the consortium linkage key (base64); default: the RISKX_LINKAGE_KEY text')
    .option('--phone-country <code>', 'country calling code for phone numbers written without + or 00, e.g. 86')
    .addOption(new Option('--format <format>', 'bulk input format (default: NDJSON when the first line starts with "{")').choices(['csv', 'ndjson']))
    .option('--column <name>', 'bulk: the column (CSV) or field (NDJSON) holding the identifier', 'value')
    .option('--json', 'print {kind, normalized, subject} objects')
    .addHelpText('after', examples(
      'risk-exchange hash-subject --kind phone "+86 138 0013 8000"',
      'risk-exchange hash-subject --kind email --json Alice@Example.com',
      'risk-exchange hash-subject --kind phone --phone-country 86 --column mobile < customers.csv > subjects.csv',
      'echo \'{"kind":"card","value":"4111 1111 1111 1111","ref":"c-17"}\' | risk-exchange hash-subject',
    ) + '\nBulk output repeats each row without the identifier column, plus "subject"; rows that cannot be\nnormalised are reported on stderr by line, and the exit code is then 1.\n')
    .action(async (values: string[], o: HashOptions) => {
      const key = linkageKeyFrom(o.linkageKeyFile);
      const norm: NormalizeOptions = { phoneCountry: o.phoneCountry };
      if (values.length) {
        if (!o.kind) throw usageError(`give --kind (${SUBJECT_KINDS.join(', ')})`);
        const out = values.map((v) => {
          let normalized: string;
          try {
            normalized = normalizeIdentifier(o.kind!, v, norm);
          } catch (e) {
            throw usageError(`"${mask(v)}" is not a valid ${o.kind}: ${(e as Error).message}`);
          }
          return { kind: o.kind!, normalized, subject: subjectIdOf(key, o.kind!, normalized) };
        });
        if (o.json) return printJson(out.length === 1 ? out[0] : out);
        process.stdout.write(out.map((r) => r.subject).join('\n') + '\n');
        return;
      }
      const failed = await hashBulk(key, o, norm);
      if (failed) throw new CliError(`${failed} row(s) could not be hashed (see the lines above)`, EXIT.refused);
    });
}

/** Shows only the ends of a value in an error: enough to find it, without echoing it whole. */
function mask(v: string): string {
  return v.length <= 6 ? '…' : `${v.slice(0, 2)}…${v.slice(-2)}`;
}

async function hashBulk(key: Buffer, o: HashOptions, norm: NormalizeOptions): Promise<number> {
  let format = o.format;
  let header: string[] | null = null;
  let failed = 0;
  const write = (s: string) => process.stdout.write(s + '\n');
  const hashOne = (kind: unknown, value: unknown, where: string): string | null => {
    const k = kind ?? o.kind;
    try {
      if (!isSubjectKind(k)) throw new Error(k === undefined ? `no kind: give --kind or a "kind" column` : `kind "${String(k)}" is not one of ${SUBJECT_KINDS.join(', ')}`);
      if (typeof value !== 'string' || !value.trim()) throw new Error(`no identifier in "${o.column}"`);
      return subjectIdOf(key, k, normalizeIdentifier(k, value, norm));
    } catch (e) {
      failed++;
      process.stderr.write(`${where}: ${(e as Error).message}\n`);
      return null;
    }
  };
  for await (const { lineNo, text } of readLines()) {
    if (!text.trim()) continue;
    format ??= text.trimStart().startsWith('{') ? 'ndjson' : 'csv';
    if (format === 'ndjson') {
      let row: Record<string, unknown>;
      try {
        row = JSON.parse(text);
        if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new Error();
      } catch {
        failed++;
        process.stderr.write(`line ${lineNo}: not a JSON object\n`);
        continue;
      }
      const subject = hashOne(row.kind, row[o.column], `line ${lineNo}`);
      if (subject === null) continue;
      const { [o.column]: _dropped, ...rest } = row;
      write(JSON.stringify({ ...rest, subject }));
      continue;
    }
    let cells: string[];
    try {
      cells = parseCsvLine(text);
    } catch (e) {
      failed++;
      process.stderr.write(`line ${lineNo}: ${(e as Error).message}\n`);
      continue;
    }
    if (!header) {
      header = cells.map((c) => c.trim());
      if (!header.includes(o.column)) throw usageError(`the CSV header has no "${o.column}" column (it has ${header.join(', ')}): name the identifier column with --column`);
      write([...header.filter((h) => h !== o.column), 'subject'].map(csvField).join(','));
      continue;
    }
    const row = Object.fromEntries(header.map((h, i) => [h, cells[i]]));
    const subject = hashOne(row.kind || undefined, row[o.column], `line ${lineNo}`);
    if (subject === null) continue;
    write([...header.filter((h) => h !== o.column).map((h) => row[h] ?? ''), subject].map(csvField).join(','));
  }
  return failed;
}
