import { GraphQLError, Kind, Lexer, Source, TokenKind, type ASTVisitor, type ValidationContext } from 'graphql';

/** Limits on one GraphQL document, checked before it executes. */
export const GRAPHQL_LIMITS = {
  /** Characters of the query text. */
  maxDocumentChars: 64 * 1024,
  /** Selected fields in the whole document, fragments included. */
  maxFields: 300,
  /** Aliased fields (aliases multiply the work of one request). */
  maxAliases: 30,
  /** Nesting of selections. */
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

/** Refuses documents that select too many fields or aliases. */
export function fieldAndAliasLimitRule(context: ValidationContext): ASTVisitor {
  let fields = 0;
  let aliases = 0;
  let reported = false;
  const report = (message: string) => {
    if (!reported) context.reportError(new GraphQLError(message));
    reported = true;
  };
  return {
    Field(node) {
      fields++;
      if (node.alias) aliases++;
      if (fields > GRAPHQL_LIMITS.maxFields) report(`the document selects more than ${GRAPHQL_LIMITS.maxFields} fields`);
      if (aliases > GRAPHQL_LIMITS.maxAliases) report(`the document uses more than ${GRAPHQL_LIMITS.maxAliases} aliases`);
    },
    SelectionSet: {
      enter(_node, _key, _parent, _path, ancestors) {
        const depth = ancestors.filter((a) => !Array.isArray(a) && (a as { kind?: string }).kind === Kind.SELECTION_SET).length + 1;
        if (depth > GRAPHQL_LIMITS.maxDepth) report(`the document nests deeper than ${GRAPHQL_LIMITS.maxDepth} levels`);
      },
    },
  };
}
