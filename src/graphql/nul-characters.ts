import { BREAK, DocumentNode, GraphQLError, StringValueNode, visit } from 'graphql';
import { hasNulCharacter } from '../lib/control-characters';

/**
 * The GraphQL edge's one rule for text: no argument or variable holds U+0000 (PostgreSQL's text and
 * jsonb cannot store it). Checked once per operation, before any resolver runs, for every string
 * literal of the document and every string (and object key) of the variables, however deep: a
 * lookup, a filter and a mutation input alike never reach the database with it. Answered like a
 * variable of the wrong type: BAD_USER_INPUT, HTTP 400, the value not echoed.
 */
/**
 * Documents whose literals hold no U+0000: Apollo hands the same parsed document to every request
 * with the same query text, and a parsed document never changes.
 */
const cleanDocuments = new WeakSet<DocumentNode>();

export function refuseNulCharacters(document: DocumentNode, variables: Readonly<Record<string, unknown>>): void {
  if (!cleanDocuments.has(document)) {
    let literal: StringValueNode | undefined;
    visit(document, {
      StringValue(node) {
        if (!hasNulCharacter(node.value)) return undefined;
        literal = node;
        return BREAK;
      },
    });
    if (literal) throw refusal('An argument holds the NUL character (U+0000), which no text may contain', literal);
    cleanDocuments.add(document);
  }
  const path = nulPath(variables);
  if (path !== undefined) {
    const where = path.length > 1 ? ` at "${path.join('.')}"` : '';
    throw refusal(`Variable "$${path[0]}" holds the NUL character (U+0000)${where}, which no text may contain`);
  }
}

function refusal(message: string, node?: StringValueNode): GraphQLError {
  return new GraphQLError(message, { nodes: node, extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
}

/** A step of a path into the variables, linked to its parent (no copies: the nesting may be deep). */
interface Step {
  key: string;
  parent: Step | undefined;
}

/**
 * Where a U+0000 of the variables is (in a string, or an object key: then its object's
 * path), as a path from the variable's name; undefined if nowhere. Keys are the client's: only
 * GraphQL names and list indexes are repeated, anything else is shown as `?`.
 */
function nulPath(variables: Readonly<Record<string, unknown>>): string[] | undefined {
  // Iterative: the depth of a variable is bounded by the body limit only.
  const pending: [unknown, Step | undefined][] = [[variables, undefined]];
  while (pending.length > 0) {
    const [value, at] = pending.pop()!;
    if (typeof value === 'string') {
      if (hasNulCharacter(value)) return pathOf(at);
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => pending.push([item, { key: String(index), parent: at }]));
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, item] of Object.entries(value)) {
        if (hasNulCharacter(key)) return pathOf(at ?? { key: '?', parent: undefined });
        pending.push([item, { key, parent: at }]);
      }
    }
  }
  return undefined;
}

const SHOWN_KEY = /^([_A-Za-z][_0-9A-Za-z]{0,99}|\d{1,9})$/;

function pathOf(step: Step | undefined): string[] {
  const path: string[] = [];
  for (let at = step; at; at = at.parent) path.push(SHOWN_KEY.test(at.key) ? at.key : '?');
  return path.reverse();
}
