import { GraphQLError, Kind, Lexer, Source, TokenKind, type ASTVisitor, type FragmentDefinitionNode, type SelectionSetNode, type ValidationContext } from 'graphql';

/** Limits on one GraphQL document, checked before it executes, on every transport. */
export const GRAPHQL_LIMITS = {
  /** Characters of the query text. */
  maxDocumentChars: 64 * 1024,
  /** Fields one operation executes: a fragment counts each time it is spread. */
  maxFields: 300,
  /** Aliased fields one operation executes (aliases multiply the work of one request), counted like fields. */
  maxAliases: 30,
  /** Nesting of selections as executed (through fragments). */
  maxDepth: 12,
  /** Lexical tokens of the query text (counted before parsing). */
  maxTokens: 3000,
};

/** Counts the lexical tokens of a query, stopping once over the limit. Throws GraphQL syntax errors as is. */
export function tooManyTokens(query: string, limit = GRAPHQL_LIMITS.maxTokens): boolean {
  const lexer = new Lexer(new Source(query));
  let count = 0;
  try {
    while (lexer.advance().kind !== TokenKind.EOF) if (++count > limit) return true;
  } catch {
    return false; // a syntax error: the parser reports it properly
  }
  return false;
}

/** The first limit a query text breaks before it is parsed (size, then tokens), or undefined. */
export function textLimitError(query: string): { code: 'DOCUMENT_TOO_LARGE' | 'TOO_MANY_TOKENS'; message: string } | undefined {
  if (query.length > GRAPHQL_LIMITS.maxDocumentChars) return { code: 'DOCUMENT_TOO_LARGE', message: `the query text is longer than ${GRAPHQL_LIMITS.maxDocumentChars} characters` };
  if (tooManyTokens(query)) return { code: 'TOO_MANY_TOKENS', message: `the query text has more than ${GRAPHQL_LIMITS.maxTokens} tokens` };
  return undefined;
}

interface Extent {
  fields: number;
  aliases: number;
  /** Selection sets nested, this one included. */
  depth: number;
}

/**
 * What one selection set executes, fragments expanded where they are spread. Each fragment is
 * walked once (memoised) and counts saturate just above the limits, so the count costs time in
 * proportion to the document's size however often fragments are reused; a fragment cycle (which
 * validation reports on its own) counts as empty.
 */
function extentOf(set: SelectionSetNode, fragment: (name: string) => FragmentDefinitionNode | null | undefined, memo: Map<string, Extent | 'walking'>): Extent {
  const cap = (n: number, limit: number) => Math.min(n, limit + 1);
  const out: Extent = { fields: 0, aliases: 0, depth: 1 };
  const add = (e: Extent, levelsBelow: number) => {
    out.fields = cap(out.fields + e.fields, GRAPHQL_LIMITS.maxFields);
    out.aliases = cap(out.aliases + e.aliases, GRAPHQL_LIMITS.maxAliases);
    out.depth = Math.max(out.depth, e.depth + levelsBelow);
  };
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) {
      add({ fields: 1, aliases: s.alias ? 1 : 0, depth: 0 }, 0);
      if (s.selectionSet) add(extentOf(s.selectionSet, fragment, memo), 1);
    } else if (s.kind === Kind.INLINE_FRAGMENT) {
      add(extentOf(s.selectionSet, fragment, memo), 0); // merged into this level
    } else {
      const name = s.name.value;
      let known = memo.get(name);
      if (known === undefined) {
        const def = fragment(name);
        memo.set(name, 'walking');
        known = def ? extentOf(def.selectionSet, fragment, memo) : { fields: 0, aliases: 0, depth: 1 };
        memo.set(name, known);
      }
      if (known !== 'walking') add(known, 0);
    }
  }
  return out;
}

/** Refuses an operation that executes too many fields or aliases, or nests too deep, fragments expanded. */
export function fieldAndAliasLimitRule(context: ValidationContext): ASTVisitor {
  const memo = new Map<string, Extent | 'walking'>();
  let reported = false;
  const report = (message: string) => {
    if (!reported) context.reportError(new GraphQLError(message));
    reported = true;
  };
  return {
    OperationDefinition(node) {
      const e = extentOf(node.selectionSet, (name) => context.getFragment(name), memo);
      const what = node.name ? `the operation ${node.name.value}` : 'the document';
      if (e.fields > GRAPHQL_LIMITS.maxFields) report(`${what} selects more than ${GRAPHQL_LIMITS.maxFields} fields (a fragment counts each time it is used)`);
      if (e.aliases > GRAPHQL_LIMITS.maxAliases) report(`${what} uses more than ${GRAPHQL_LIMITS.maxAliases} aliases (a fragment counts each time it is used)`);
      if (e.depth > GRAPHQL_LIMITS.maxDepth) report(`${what} nests deeper than ${GRAPHQL_LIMITS.maxDepth} levels`);
      return false; // fragments are reached through their spreads
    },
  };
}
