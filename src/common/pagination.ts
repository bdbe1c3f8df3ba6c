import { Field, Int, ObjectType } from '@nestjs/graphql';
import { Type } from '@nestjs/common';
import { badInput } from './errors';

@ObjectType({ description: 'Relay page information.' })
export class PageInfo {
  @Field({ description: 'Whether another page follows this one.' })
  hasNextPage: boolean;

  @Field(() => String, { nullable: true, description: 'Pass as `after` to fetch the next page.' })
  endCursor: string | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

/** Builds a Relay connection type (`edges { cursor node }`, `pageInfo`) for a node type. */
export function Connection<T>(node: Type<T>, name: string) {
  @ObjectType(`${name}Edge`, { description: `One ${name} in a page.` })
  class EdgeType {
    @Field({ description: 'Opaque cursor of this item.' })
    cursor: string;

    @Field(() => node, { description: `The ${name}.` })
    node: T;
  }

  @ObjectType({ isAbstract: true })
  abstract class ConnectionType {
    @Field(() => [EdgeType], { description: 'The items of this page.' })
    edges: Edge<T>[];

    @Field(() => PageInfo, { description: 'Where this page ends and whether more follow.' })
    pageInfo: PageInfo;

    @Field(() => Int, { description: 'How many items match, over all pages.' })
    totalCount: number;
  }
  return ConnectionType;
}

/** A page from the `size + 1` rows fetched: the first `size` as edges, and whether more follow. */
export function pageOf<R, N>(rows: readonly R[], size: number, cursorOf: (row: R) => string, nodeOf: (row: R) => N): { edges: Edge<N>[]; pageInfo: PageInfo } {
  const edges = rows.slice(0, size).map((r) => ({ cursor: cursorOf(r), node: nodeOf(r) }));
  return { edges, pageInfo: { hasNextPage: rows.length > size, endCursor: edges.length ? edges[edges.length - 1].cursor : null } };
}

export const MAX_PAGE_SIZE = 100;

/** Validates `first` (1..100, default 20). */
export function pageSize(first: number | null | undefined): number {
  if (first === undefined || first === null) return 20;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw badInput(`first must be between 1 and ${MAX_PAGE_SIZE}, got ${first}`);
  }
  return first;
}

export function encodeCursor(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64url');
}

/** Decodes an opaque cursor; `check` validates the decoded value. */
export function decodeCursor(cursor: string | null | undefined, check: (value: string) => boolean): string | undefined {
  if (cursor === undefined || cursor === null) return undefined;
  const value = /^[A-Za-z0-9_-]{1,400}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (!check(value)) throw badInput('after is not a cursor returned by this list');
  return value;
}

/** Cursor of a list ordered by (timestamp, uuid) descending. */
export function encodeTimeCursor(at: Date, id: string): string {
  return encodeCursor(`${String(at.getTime()).padStart(13, '0')}|${id}`);
}

// The (timestamp, uuid) cursor: exactly what encodeTimeCursor writes, so the id is always a valid
// PostgreSQL uuid (a loose `[0-9a-f-]{36}` let `----...` through to the uuid cast: a 500).
const TIME_CURSOR = /^\d{13}\|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Decodes a cursor made by encodeTimeCursor (BAD_USER_INPUT when it is not one). */
export function decodeTimeCursor(after: string | null | undefined): { at: Date; id: string } | undefined {
  const value = decodeCursor(after, (v) => TIME_CURSOR.test(v));
  if (value === undefined) return undefined;
  const [ms, id] = value.split('|');
  return { at: new Date(Number(ms)), id };
}
