// The query cost limit, counted on the page sizes the operation will run with. graphql-armor's cost
// limit multiplies a connection's cost by a `first`/`last` written in the query only: passed as a
// variable, a page of 200 counted 1, and one viewer query (15 aliases × 200 images × 200 images of
// each image's patient) ran 16 s. This is armor's cost model, unchanged for literal page sizes (the
// README's figures hold), with the arguments coerced first, variables and defaults included:
// - a leaf field costs 1; a field with a selection costs 2 plus 1.5 × the cost of each selection
//   under it (a fragment spread: 1 plus 1.5 × the fragment's cost), all of it multiplied by its page
//   size: a connection's `first` or `last` (the larger if both; 20, the default page, when neither),
//   or a list's `limit` (`splits(limit:)`, default 50); at least 1;
// - the operation costs the sum of its top-level fields; `__schema` (introspection) costs nothing.
import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  getNamedType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { argumentsOf, coerceVariables, operationOf, requestError } from './use-input-bounds.ts';

/** Armor's defaults, which the limits in yoga.ts were tuned with. */
const OBJECT_COST = 2;
const SCALAR_COST = 1;
const DEPTH_FACTOR = 1.5;
/** The page a connection returns when neither `first` nor `last` is given (builder.ts, defaultConnectionSize). */
const DEFAULT_PAGE = 20;

/** The page size a field multiplies its selection by. */
function pageSize(def: ReturnType<typeof fieldDef>, node: FieldNode, variables: Record<string, unknown>): number {
  if (!def) return 1;
  const names = new Set(def.args.map((a) => a.name));
  if (!names.has('first') && !names.has('last') && !names.has('limit')) return 1;
  const args = argumentsOf({ parent: def.parent, node, def: def.field }, variables) ?? {};
  const n = (key: string) => (typeof args[key] === 'number' ? (args[key] as number) : null);
  if (names.has('limit')) return Math.max(n('limit') ?? 1, 1);
  const first = n('first');
  const last = n('last');
  return Math.max(first === null && last === null ? DEFAULT_PAGE : Math.max(first ?? 0, last ?? 0), 1);
}

function fieldDef(parent: GraphQLCompositeType | undefined, name: string) {
  if (!parent || !(isObjectType(parent) || isInterfaceType(parent))) return undefined;
  const field = parent.getFields()[name];
  return field ? { parent, field, args: field.args } : undefined;
}

/** The cost of an operation with these (coerced) variables. */
export function queryCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  // a fragment's cost once computed, as armor keeps it (the same wherever it is spread)
  const fragmentCosts = new Map<string, number>();
  const typeOf = (name: string) => {
    const type = schema.getType(name);
    return isCompositeType(type) ? type : undefined;
  };

  const cost = (node: SelectionNode | FragmentDefinitionNode, parent: GraphQLCompositeType | undefined): number => {
    if (node.kind === Kind.FIELD && node.name.value === '__schema') return 0;
    if (node.kind === Kind.FRAGMENT_SPREAD) {
      const name = node.name.value;
      const known = fragmentCosts.get(name);
      if (known !== undefined) return SCALAR_COST + DEPTH_FACTOR * known;
      const fragment = fragments.get(name);
      if (!fragment) return SCALAR_COST;
      fragmentCosts.set(name, -1); // a cycle (refused by validation) cannot loop
      const c = cost(fragment, typeOf(fragment.typeCondition.name.value));
      fragmentCosts.set(name, c);
      return SCALAR_COST + DEPTH_FACTOR * c;
    }
    if (!node.selectionSet) return SCALAR_COST;
    let childParent = parent;
    let multiplier = 1;
    if (node.kind === Kind.FIELD) {
      const def = fieldDef(parent, node.name.value);
      multiplier = pageSize(def, node, variables);
      const type = def && getNamedType(def.field.type);
      childParent = type && isCompositeType(type) ? type : undefined;
    } else if (node.kind === Kind.INLINE_FRAGMENT && node.typeCondition) {
      childParent = typeOf(node.typeCondition.name.value);
    }
    let total = OBJECT_COST;
    for (const child of node.selectionSet.selections) total += DEPTH_FACTOR * cost(child, childParent);
    return total * multiplier;
  };

  const root = schema.getRootType(operation.operation) ?? undefined;
  return operation.selectionSet.selections.reduce((sum, child) => sum + cost(child, root), 0);
}

/**
 * Refuses an operation that costs more than `maxCost` (QUERY_TOO_COMPLEX, with the cost and the
 * limit), whether its page sizes are written in or passed as variables. Runs after the input bounds
 * (use-input-bounds), so a page past 200 is refused as such first.
 */
export function useQueryCost(maxCost: number): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const operation = operationOf(args.document, args.operationName);
      if (!operation) return;
      const variables = coerceVariables(args.schema, operation, args.variableValues);
      if ('errors' in variables) return;
      const cost = queryCost(args.schema, args.document, operation, variables.coerced);
      if (cost > maxCost) {
        setResultAndStopExecution({
          errors: [
            requestError(
              `Query cost ${cost} is above the limit of ${maxCost}: each connection multiplies the cost of its selection by its page size (first or last, 20 when neither is given), written in the query or passed as a variable`,
              { code: 'QUERY_TOO_COMPLEX', cost, limit: maxCost },
            ),
          ],
        });
      }
    },
  };
}
