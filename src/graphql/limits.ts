import { GraphQLError, Kind, type ASTVisitor, type ValidationContext } from 'graphql';

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
};

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
