// What commands print: --json gives one JSON document (or NDJSON for streams of items) on stdout;
// otherwise short tables for people. Diagnostics go to stderr so stdout stays pipeable.

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** A plain text table; columns as wide as their widest cell (capped), long cells cut with "…". */
export function table(rows: Array<Record<string, unknown>>, columns: Array<[key: string, title: string]>, maxWidth = 60): string {
  const cell = (v: unknown) => {
    const s = v === null || v === undefined ? '-' : Array.isArray(v) ? v.join(',') : String(v);
    return s.length > maxWidth ? s.slice(0, maxWidth - 1) + '…' : s;
  };
  const cells = rows.map((r) => columns.map(([k]) => cell(r[k])));
  const widths = columns.map(([, t], i) => Math.max(t.length, ...cells.map((c) => c[i].length)));
  const line = (parts: string[]) => parts.map((p, i) => (i === parts.length - 1 ? p : p.padEnd(widths[i]))).join('  ');
  return [line(columns.map(([, t]) => t)), ...cells.map(line)].join('\n') + '\n';
}

export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : text + '\n');
}

/** `risk-exchange <cmd> --help` ends with these, so every command shows how it is used. */
export function examples(...lines: string[]): string {
  return '\nExamples:\n' + lines.map((l) => `  $ ${l}`).join('\n') + '\n';
}
