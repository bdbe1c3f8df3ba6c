import { Kind, visit, type DocumentNode, type ValueNode } from 'graphql';
import { badInput } from '../common/errors';
import { findBadString, stringProblem } from '../common/input-strings';

/**
 * One check for every String argument of every operation, before anything executes: a NUL or an
 * unpaired surrogate, as a literal or anywhere inside a variable (list items and input object
 * fields included), is refused with BAD_USER_INPUT naming the argument. Done here, once, rather
 * than in each resolver, so a new argument cannot forget it. (graphql-js already refuses raw
 * lone surrogates and raw NULs in the document text; only the `\u0000` escape gets through.)
 */

interface Use {
  field: string;
  /** The argument, and the path inside it where the value sits: `filter.subject`, `subjects[1]`. */
  path: string;
}

interface DocumentInputs {
  badLiteral?: Use & { problem: string };
  /** Where each variable is first used. */
  variables: Map<string, Use>;
}

// Parsed documents are cached by Mercurius, so each distinct document is walked once.
const analysed = new WeakMap<DocumentNode, DocumentInputs>();

function analyse(document: DocumentNode): DocumentInputs {
  const found: DocumentInputs = { variables: new Map() };
  const walk = (node: ValueNode, use: Use): void => {
    switch (node.kind) {
      case Kind.VARIABLE:
        if (!found.variables.has(node.name.value)) found.variables.set(node.name.value, use);
        return;
      case Kind.STRING: {
        const problem = found.badLiteral ? undefined : stringProblem(node.value);
        if (problem) found.badLiteral = { ...use, problem };
        return;
      }
      case Kind.LIST:
        node.values.forEach((v, i) => walk(v, { ...use, path: `${use.path}[${i}]` }));
        return;
      case Kind.OBJECT:
        for (const f of node.fields) walk(f.value, { ...use, path: `${use.path}.${f.name.value}` });
        return;
      default:
        return;
    }
  };
  visit(document, {
    Field(field) {
      for (const arg of field.arguments ?? []) walk(arg.value, { field: field.name.value, path: arg.name.value });
    },
    Directive(directive) {
      for (const arg of directive.arguments ?? []) walk(arg.value, { field: `@${directive.name.value}`, path: arg.name.value });
    },
    VariableDefinition(def) {
      if (def.defaultValue) walk(def.defaultValue, { field: 'the operation', path: `$${def.variable.name.value} (default value)` });
    },
  });
  return found;
}

/** Mercurius preExecution hook. */
export async function inputStringsHook(_schema: unknown, document: DocumentNode, _context: unknown, variables?: Record<string, unknown> | null): Promise<void> {
  let inputs = analysed.get(document);
  if (!inputs) analysed.set(document, (inputs = analyse(document)));
  const literal = inputs.badLiteral;
  if (literal) throw badInput(`argument ${literal.path} of ${literal.field} ${literal.problem}`, { argument: literal.path });
  if (!variables) return;
  for (const [name, value] of Object.entries(variables)) {
    const bad = findBadString(value);
    if (!bad) continue;
    const use = inputs.variables.get(name);
    const where = use ? `argument ${use.path}${bad.path} of ${use.field} (variable $${name})` : `variable $${name}${bad.path}`;
    throw badInput(`${where} ${bad.problem}`, { argument: use ? `${use.path}${bad.path}` : `$${name}${bad.path}` });
  }
}
