import { Kind, visit, type DocumentNode, type OperationDefinitionNode, type ValueNode } from 'graphql';
import { MUTATION_AUDIT_ACTIONS } from '../audit/audit-failures';
import type { AuditService } from '../audit/audit.service';
import type { RequestWithPartner } from '../auth/decorators';
import { AppError, badInput } from '../common/errors';
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
  /** Checked elsewhere, item by item (see EXEMPT). */
  exempt?: boolean;
  /** The argument, and the path inside it where the value sits: `filter.subject`, `subjects[1]`. */
  path: string;
}

interface DocumentInputs {
  badLiteral?: Use & { problem: string };
  /** Where each variable is first used. */
  variables: Map<string, Use>;
}

/**
 * Arguments whose items the service checks one by one, so that one bad item is data in the
 * answer rather than a refusal of the whole call: every publishEvents token goes to the SET
 * verifier, which refuses anything that is not three base64url segments as REJECTED on its own.
 */
const EXEMPT = new Set(['publishEvents.tokens']);

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
        const problem = found.badLiteral || use.exempt ? undefined : stringProblem(node.value);
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
      for (const arg of field.arguments ?? []) {
        walk(arg.value, { field: field.name.value, path: arg.name.value, exempt: EXEMPT.has(`${field.name.value}.${arg.name.value}`) });
      }
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

/** The first String argument holding a NUL or an unpaired surrogate, as a refusal; null when there is none. */
function refusal(document: DocumentNode, variables?: Record<string, unknown> | null): AppError | null {
  let inputs = analysed.get(document);
  if (!inputs) analysed.set(document, (inputs = analyse(document)));
  const literal = inputs.badLiteral;
  if (literal) return badInput(`argument ${literal.path} of ${literal.field} ${literal.problem}`, { argument: literal.path });
  if (!variables) return null;
  for (const [name, value] of Object.entries(variables)) {
    const use = inputs.variables.get(name);
    if (use?.exempt) continue;
    const bad = findBadString(value);
    if (!bad) continue;
    const where = use ? `argument ${use.path}${bad.path} of ${use.field} (variable $${name})` : `variable $${name}${bad.path}`;
    return badInput(`${where} ${bad.problem}`, { argument: use ? `${use.path}${bad.path}` : `$${name}${bad.path}` });
  }
  return null;
}

/**
 * Mercurius preExecution hook. A refused mutation is still audited as that mutation's failure
 * (every mutation has its outcome in the log), with the message, which names the argument but
 * never holds the value that could not be stored.
 */
export function inputStringsHook(audit: Pick<AuditService, 'record'>) {
  return async (_schema: unknown, document: DocumentNode, context: { reply?: { request?: unknown } }, variables?: Record<string, unknown> | null): Promise<void> => {
    const refused = refusal(document, variables);
    if (!refused) return;
    const partner = (context?.reply?.request as RequestWithPartner | undefined)?.partner;
    const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    if (partner && operation?.operation === 'mutation') {
      for (const selection of operation.selectionSet.selections) {
        const action = selection.kind === Kind.FIELD ? MUTATION_AUDIT_ACTIONS[selection.name.value] : undefined;
        if (!action) continue;
        await audit.record({ actor: partner.id, action, target: null, details: { outcome: 'error', code: refused.code, message: refused.message }, concerns: [partner.id] });
      }
    }
    throw refused;
  };
}
