/**
 * The one rule for text a partner sends: no U+0000 and no unpaired UTF-16 surrogate. PostgreSQL
 * cannot store either in text or jsonb (the insert fails), and neither is a character anyone
 * means to send, so both are refused at the edge instead of failing deep inside a statement.
 * Pure: no Nest, no GraphQL.
 */

// A NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
const BAD_CHARACTER = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** What is wrong with one string, in words, or undefined when it is fine. */
export function stringProblem(value: string): string | undefined {
  const match = BAD_CHARACTER.exec(value);
  if (!match) return undefined;
  const unit = match[0].charCodeAt(0);
  const at = `at character ${match.index}`;
  if (unit === 0) return `must not contain U+0000 (NUL) (${at})`;
  return `must not contain an unpaired surrogate U+${unit.toString(16).toUpperCase()} (${at}): send well-formed UTF-8 text`;
}

export interface StringFinding {
  /** Where the string sits inside the value: `''`, `.purpose`, `[3]`, `.categories[0]`. */
  path: string;
  problem: string;
}

/** The first bad string anywhere in a JSON-like value (strings, arrays, plain objects, their keys too). */
export function findBadString(value: unknown, path = ''): StringFinding | undefined {
  if (typeof value === 'string') {
    const problem = stringProblem(value);
    return problem ? { path, problem } : undefined;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findBadString(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const keyProblem = stringProblem(key);
      if (keyProblem) return { path: `${path} (a field name)`, problem: keyProblem };
      const found = findBadString(item, `${path}.${key}`);
      if (found) return found;
    }
  }
  return undefined;
}
