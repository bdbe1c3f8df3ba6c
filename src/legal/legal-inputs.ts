// Validation of the workflow's arguments: ids are UUIDs (a malformed one is BAD_USER_INPUT, never a
// database cast error), texts are bounded and a required one is not blank.
import { badInput } from '../common/errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A request id (lowercased UUID). */
export function requestId(value: unknown, name = 'id'): string {
  const id = typeof value === 'string' ? value.toLowerCase() : '';
  if (!UUID.test(id)) throw badInput(`${name} must be a legal request id (a UUID), got ${JSON.stringify(String(value).slice(0, 64))}`);
  return id;
}

/** A text that must be given, not blank, and at most `max` characters (trimmed). */
export function requiredText(name: string, value: unknown, max: number): string {
  const text = typeof value === 'string' ? value.trim() : '';
  if (!text) throw badInput(`${name} is required and must not be blank`);
  if (text.length > max) throw badInput(`${name} must be at most ${max} characters, got ${text.length}`);
  return text;
}

/** An optional text: null when absent or blank, otherwise at most `max` characters (trimmed). */
export function optionalText(name: string, value: unknown, max: number): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw badInput(`${name} must be a string`);
  const text = value.trim();
  if (!text) return null;
  if (text.length > max) throw badInput(`${name} must be at most ${max} characters, got ${text.length}`);
  return text;
}
