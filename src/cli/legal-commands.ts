// `legal verify-package`: checks a disclosure package offline (no network) and prints a report a
// court can read. The checks are the pure ones of src/legal/disclosure/package.ts; this file reads
// the files and prints.
import { Command } from 'commander';
import * as fs from 'node:fs';
import type { JWK } from 'jose';
import { describeToken, PackageReport, verifyDisclosurePackage } from '../legal/disclosure/package';
import { CliError, EXIT, usageError } from './cli-errors';
import { examples, print, printJson } from './output';

const iso = (s: number | null | undefined) => (typeof s === 'number' ? new Date(s * 1000).toISOString() : '-');

function readText(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw usageError(`cannot read the ${what} ${file} (${(e as NodeJS.ErrnoException).code})`);
  }
}

/** The package from a file: the compact JWS itself, or a JSON object carrying it as `jws` (a saved GraphQL answer). */
export function packageFromText(text: string, file: string): string {
  const trimmed = text.trim();
  if (/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(trimmed)) return trimmed;
  try {
    const v = JSON.parse(trimmed) as Record<string, unknown>;
    const jws = v?.jws ?? (v?.data as any)?.legalDisclosurePackage?.jws;
    if (typeof jws === 'string') return jws.trim();
  } catch {
    /* neither form: refused below */
  }
  throw usageError(`${file} holds neither a compact JWS nor JSON with a "jws" member`);
}

function gatewayKeysFromText(text: string, file: string): JWK[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw usageError(`${file} is not JSON`);
  }
  const o = v as { keys?: unknown; kty?: unknown };
  const keys = o && Array.isArray(o.keys) ? o.keys : o && typeof o.kty === 'string' ? [o] : null;
  if (!keys) throw usageError(`${file} is neither a JWKS ({"keys":[...]}) nor a JWK`);
  return keys as JWK[];
}

/** The readable report (one line per token: its name, then `OK` or `FAILED: <reason>`). */
export function renderReport(r: PackageReport, gatewayJwksFile?: string): string {
  const lines: string[] = [];
  const p = r.payload;
  const g = r.gateway;
  const source = g.keysFrom === 'given' ? `keys from ${gatewayJwksFile}` : `keys from the package's own gateway_jwks: this proves the package is intact, not who signed it; compare the thumbprint with the gateway's published /.well-known/jwks.json, or pass --gateway-jwks`;
  if (p) lines.push(`Disclosure package ${p.jti}, issued ${iso(p.iat)} by ${p.iss}`);
  lines.push(`gateway signature: ${g.ok ? 'OK' : `FAILED: ${g.detail}`}${g.kid ? ` (key ${g.kid}${g.thumbprint ? `, RFC 7638 thumbprint ${g.thumbprint}` : ''})` : ''}`);
  lines.push(`  ${source}`);
  if (p) {
    const q = p.request;
    lines.push('', `request ${q.id}: ${q.kind} by ${q.requester}`);
    lines.push(`  subject        ${q.subject}`);
    lines.push(`  case reference ${q.case_reference}`);
    lines.push(`  authority      ${q.authority}`);
    lines.push(`  legal basis    ${q.legal_basis}`);
    lines.push(`  deadline       ${iso(q.deadline)}`);
    lines.push(`  approved at    ${iso(q.approved_at)}, access until ${iso(q.access_until)}`);
    lines.push('', `approvals (${p.approvals.length}):`);
    for (const a of p.approvals) lines.push(`  ${a.reviewer} at ${iso(a.at)}${a.comment ? `: ${a.comment}` : ''}`);
    lines.push('', `tokens (${r.tokens.length}):`);
    for (const t of r.tokens) lines.push(`  ${describeToken(t)}: ${t.ok ? 'OK' : `FAILED: ${t.detail}`}`);
  }
  const failed = r.problems.length;
  lines.push('', r.ok ? `VALID: the gateway signature and all ${r.tokens.length} token(s) verify` : `INVALID: ${failed} failure(s)`);
  return lines.join('\n') + '\n';
}

/** Why the package's origin is not established, or null (see the verify-package options). */
export function originProblem(thumbprint: string | null, o: { gatewayJwks?: string; gatewayThumbprint?: string; trustEmbeddedKeys?: boolean }): string | null {
  if (o.gatewayJwks) return null;
  if (o.gatewayThumbprint) {
    return thumbprint === o.gatewayThumbprint.trim() ? null : `origin not verified: the package is signed by gateway key ${thumbprint ?? '(none)'}, not by the pinned ${o.gatewayThumbprint.trim()}`;
  }
  if (o.trustEmbeddedKeys) return null;
  return 'origin not verified: the package was checked only with the gateway key it carries (anyone can make such a package); pass --gateway-jwks FILE (the gateway\'s /.well-known/jwks.json) or --gateway-thumbprint, or --trust-embedded-keys to check integrity only';
}

export function registerLegalCommands(program: Command): void {
  const legal = program
    .command('legal')
    .description('legal requests: check what a disclosure handed over')
    .addHelpText('after', examples('risk-exchange legal verify-package package.jws --gateway-jwks gateway-jwks.json'));
  legal
    .command('verify-package')
    .description('verify a disclosure package offline: the gateway signature, the request token and every partner token against the keys it carries; exit 0 when all pass, 1 on any failure, 2 when the input cannot be read')
    .argument('<file>', 'the package (the compact JWS of legalDisclosurePackage.jws, or the saved GraphQL answer)')
    .option('--gateway-jwks <file>', 'the gateway\'s public JWKS (its /.well-known/jwks.json, saved from the gateway): proves where the package comes from')
    .option('--gateway-thumbprint <sha256>', 'or: the RFC 7638 thumbprint of the gateway key, obtained from the gateway out of band; the package\'s own gateway key must have it')
    .option('--trust-embedded-keys', 'check with the package\'s own gateway_jwks and nothing else (integrity only: anyone can make such a package); without this, --gateway-jwks or --gateway-thumbprint, the origin is unverified and the exit code is 1')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', examples(
      'risk-exchange legal verify-package package.jws --gateway-jwks gateway-jwks.json',
      'risk-exchange legal verify-package package.jws --json',
    ))
    .action(async (file: string, o: { gatewayJwks?: string; gatewayThumbprint?: string; trustEmbeddedKeys?: boolean; json?: boolean }) => {
      const jws = packageFromText(readText(file, 'package'), file);
      const gatewayJwks = o.gatewayJwks ? gatewayKeysFromText(readText(o.gatewayJwks, 'gateway JWKS'), o.gatewayJwks) : undefined;
      const report = await verifyDisclosurePackage(jws, { gatewayJwks });
      // The keys inside a package prove nothing about who made it: the origin needs a key the
      // checker got from the gateway itself (its JWKS, or a pinned thumbprint), or an explicit opt-out.
      const origin = originProblem(report.gateway.thumbprint, o);
      if (origin) {
        report.ok = false;
        report.problems.unshift(origin);
      }
      if (o.json) printJson({ ok: report.ok, gateway: report.gateway, request: report.payload?.request ? { ...report.payload.request, token: undefined } : null, approvals: report.payload?.approvals ?? [], tokens: report.tokens, problems: report.problems });
      else print(renderReport(report, o.gatewayJwks));
      if (!report.ok) throw new CliError(`the package does not verify: ${report.problems[0]}`, EXIT.refused);
    });
}
