import { GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { badInput } from '../common/errors';

/**
 * The DateTime scalar, strict: an input is an RFC 3339 date-time string (`2026-01-31T09:00:00Z`,
 * `2026-01-31T17:00:00.250+08:00`) naming a real calendar instant between years 0001 and 9999 UTC.
 * The default Nest scalar ran `new Date(anything)`, so text such as `2020-01-01'; DROP ...` became
 * an Invalid Date and a year such as -100000 a date PostgreSQL cannot hold; both reached SQL and
 * failed there with a 500. Pure apart from graphql-js.
 */
export const MIN_DATE_TIME = -62_135_596_800_000; // 0001-01-01T00:00:00.000Z
export const MAX_DATE_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;
const EXAMPLE = 'an RFC 3339 date-time such as 2026-01-31T09:00:00Z';
const MAX_ECHO = 40;

const echo = (text: string) => JSON.stringify(text.length > MAX_ECHO ? `${text.slice(0, MAX_ECHO)}...` : text);

/** Parses one DateTime input (BAD_USER_INPUT naming the problem when it is not acceptable). */
export function parseDateTime(value: unknown): Date {
  if (typeof value !== 'string') throw badInput(`DateTime must be a string, ${EXAMPLE}; got a ${value === null ? 'null' : typeof value}`);
  const m = RFC3339.exec(value);
  if (!m) throw badInput(`DateTime must be ${EXAMPLE}; got ${echo(value)}`);
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  const offset = m[8] ? 0 : (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11]));
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59 || Number(m[10] ?? 0) > 23 || Number(m[11] ?? 0) > 59) {
    throw badInput(`DateTime must be ${EXAMPLE} naming a real calendar date and time; got ${echo(value)}`);
  }
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0..99 to 1900..1999.
  const at = new Date(0);
  at.setUTCFullYear(year, month - 1, day);
  at.setUTCHours(hour, minute, second, ms);
  const time = at.getTime() - offset * 60_000;
  if (year < 1 || time < MIN_DATE_TIME || time > MAX_DATE_TIME) {
    throw badInput(`DateTime must lie between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z; got ${echo(value)}`);
  }
  return new Date(time);
}

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

export const DateTimeScalar = new GraphQLScalarType<Date, string | null>({
  name: 'DateTime',
  description: 'An instant as an RFC 3339 date-time string, such as 2026-01-31T09:00:00Z or 2026-01-31T17:00:00.250+08:00, between years 0001 and 9999 (UTC). Returned in UTC with milliseconds.',
  parseValue: parseDateTime,
  parseLiteral(ast: ValueNode) {
    if (ast.kind !== Kind.STRING) throw badInput(`DateTime must be a string, ${EXAMPLE}`);
    return parseDateTime(ast.value);
  },
  serialize(value: unknown) {
    return value instanceof Date ? value.toISOString() : null;
  },
});

/** Maps TypeScript `Date` to the strict scalar wherever the schema is built (the app and `npm run schema`). */
export const SCALARS_MAP = [{ type: Date, scalar: DateTimeScalar }];
