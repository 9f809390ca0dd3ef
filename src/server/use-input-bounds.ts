// Bounds on what a request's arguments may hold, checked on the values the operation will run with
// (literals and variables coerced alike), before any resolver walks them:
// - variables nested deeper than `maxVariableDepth` are refused as they arrive, before graphql-js
//   coerces them (its coercion recurses: a NOT nested 3,000 deep overflowed the stack, HTTP 500);
// - a variable that does not coerce to its type is BAD_USER_INPUT (graphql-js gives no code);
// - every list holds at most `maxListLength` values, or its argument's own bound (`nodes(ids:)`,
//   `auditSplit(assignments:)`);
// - an ImageFilter, wherever it is (images, facets, stats, createSplit, exports), is held to its
//   depth, size and ranges (checkFilterBounds);
// - every ID is a global id, and every connection's paging arguments are valid (checkPageArgs).
// Each refusal is BAD_USER_INPUT naming the argument's path and the bound, with nothing executed.
import {
  type DocumentNode,
  type FieldNode,
  type GraphQLArgument,
  type GraphQLCompositeType,
  GraphQLError,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
  getArgumentValues,
  getNamedType,
  getNullableType,
  getVariableValues,
  isCompositeType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { checkFilterBounds, type ImageFilter } from '../resolvers/image-filter.ts';
import { checkPageArgs, type PageArgs } from '../resolvers/paging.ts';
import { NOT_A_GLOBAL_ID, parseGlobalId } from '../schema/ids.ts';

export interface InputBounds {
  /** Variables (their JSON) nest at most this deep. */
  maxVariableDepth: number;
  /** Values in any list argument or input field. */
  maxListLength: number;
  /** Arguments with their own list bound, by coordinate: `Query.nodes(ids:)`. */
  listBounds: Readonly<Record<string, number>>;
}

/** A refusal of the request as a whole: 400 under application/graphql-response+json, as validation errors are. */
export const requestError = (message: string, extensions: Record<string, unknown>) =>
  createGraphQLError(message, { extensions: { ...extensions, http: { spec: true, status: 400 } } });

const refusal = (e: GraphQLError) =>
  e.extensions.code === 'BAD_USER_INPUT'
    ? requestError(e.message, { ...e.extensions })
    : requestError(e.message, { code: 'BAD_USER_INPUT' });

/** The first variable nested deeper than `max` levels, walked with a stack of its own (no recursion). */
export function tooDeepVariable(variables: Record<string, unknown>, max: number): string | null {
  for (const [name, value] of Object.entries(variables)) {
    const stack: [unknown, number][] = [[value, 1]];
    for (let next = stack.pop(); next; next = stack.pop()) {
      const [v, depth] = next;
      if (v === null || typeof v !== 'object') continue;
      if (depth > max) return name;
      for (const child of Object.values(v))
        if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return null;
}

/** The operation a request runs: the named one, or the only one. */
export function operationOf(document: DocumentNode, name?: string | null): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  return name ? operations.find((o) => o.name?.value === name) : operations.length === 1 ? operations[0] : undefined;
}

/** The operation's variables coerced to their types, or the coercion's errors. */
export function coerceVariables(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  raw: unknown,
): { coerced: Record<string, unknown> } | { errors: readonly GraphQLError[] } {
  const inputs = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  return getVariableValues(schema, operation.variableDefinitions ?? [], inputs, { maxErrors: 20 });
}

interface FieldUse {
  parent: GraphQLCompositeType;
  node: FieldNode;
  def: GraphQLField<unknown, unknown>;
}

/** Every field of the operation (through fragments, each fragment once) with its definition. */
export function* fieldsOf(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode) {
  const fragments = new Map(
    document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])),
  );
  const root = schema.getRootType(operation.operation);
  if (!root) return;
  const seen = new Set<string>();
  const stack: [SelectionSetNode, GraphQLCompositeType][] = [[operation.selectionSet, root]];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [set, parent] = next;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const def =
          isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[selection.name.value] : undefined;
        if (!def) continue;
        yield { parent, node: selection, def } satisfies FieldUse;
        const type = getNamedType(def.type);
        if (selection.selectionSet && isCompositeType(type)) stack.push([selection.selectionSet, type]);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        if (isCompositeType(type)) stack.push([selection.selectionSet, type]);
      } else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        const type = fragment && schema.getType(fragment.typeCondition.name.value);
        if (fragment && isCompositeType(type)) stack.push([fragment.selectionSet, type]);
      }
    }
  }
}

/** A field's arguments as they will run, or null when they do not coerce (execution reports that). */
export function argumentsOf(use: FieldUse, variables: Record<string, unknown>): Record<string, unknown> | null {
  try {
    return getArgumentValues(use.def, use.node, variables);
  } catch {
    return null;
  }
}

/** A connection field: Relay's paging arguments. */
const isConnection = (def: GraphQLField<unknown, unknown>) =>
  ['first', 'last', 'after', 'before'].every((name) => def.args.some((a) => a.name === name));

/** One argument's value checked against the bounds, walked with a stack of its own. */
function checkArgument(arg: GraphQLArgument, value: unknown, coordinate: string, bounds: InputBounds): void {
  const stack: { value: unknown; type: GraphQLInputType; path: string; inFilter: boolean }[] = [
    { value, type: arg.type, path: arg.name, inFilter: false },
  ];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const { value: v, path, inFilter } = next;
    const type = getNullableType(next.type);
    if (v == null) continue;
    if (isListType(type)) {
      const list = v as unknown[];
      const bound = path === arg.name ? (bounds.listBounds[coordinate] ?? bounds.maxListLength) : bounds.maxListLength;
      if (list.length > bound) {
        throw requestError(`${path} has ${list.length} values: at most ${bound}`, {
          code: 'BAD_USER_INPUT',
          argument: path,
        });
      }
      const item = getNamedType(type.ofType);
      if (isInputObjectType(item) || item.name === 'ID' || isListType(getNullableType(type.ofType))) {
        list.forEach((x, i) => {
          stack.push({ value: x, type: type.ofType, path: `${path}.${i}`, inFilter });
        });
      }
    } else if (isInputObjectType(type)) {
      const filter = type.name === 'ImageFilter';
      if (filter && !inFilter) checkFilterBounds(v as ImageFilter, path);
      const fields = type.getFields();
      for (const [name, x] of Object.entries(v as Record<string, unknown>)) {
        const field = fields[name];
        if (field) stack.push({ value: x, type: field.type, path: `${path}.${name}`, inFilter: inFilter || filter });
      }
    } else if (type.name === 'ID' && (typeof v !== 'string' || !parseGlobalId(v))) {
      throw requestError(`${path} ${NOT_A_GLOBAL_ID}`, { code: 'BAD_USER_INPUT', argument: path });
    }
  }
}

/** Checks every argument of the operation; throws the first refusal. */
export function checkOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  bounds: InputBounds,
): void {
  for (const use of fieldsOf(schema, document, operation)) {
    if (use.def.args.length === 0) continue;
    const args = argumentsOf(use, variables);
    if (!args) continue;
    const field = `${use.parent.name}.${use.def.name}`;
    for (const arg of use.def.args) {
      if (args[arg.name] !== undefined) checkArgument(arg, args[arg.name], `${field}(${arg.name}:)`, bounds);
    }
    if (isConnection(use.def)) checkPageArgs(args as PageArgs);
  }
}

export function useInputBounds(bounds: InputBounds): Plugin {
  return {
    onParams({ params, setResult }) {
      const variables = params.variables;
      if (!variables || typeof variables !== 'object') return;
      const deep = tooDeepVariable(variables, bounds.maxVariableDepth);
      if (deep !== null) {
        setResult({
          errors: [
            requestError(`Variable "$${deep}" nests more than ${bounds.maxVariableDepth} levels deep`, {
              code: 'BAD_USER_INPUT',
              argument: `$${deep}`,
            }),
          ],
        });
      }
    },
    onExecute({ args, setResultAndStopExecution }) {
      const operation = operationOf(args.document, args.operationName);
      if (!operation) return;
      const variables = coerceVariables(args.schema, operation, args.variableValues);
      if ('errors' in variables) {
        setResultAndStopExecution({
          errors: variables.errors.map((e) =>
            createGraphQLError(e.message, {
              nodes: e.nodes,
              extensions: { code: 'BAD_USER_INPUT', http: { spec: true, status: 400 } },
            }),
          ),
        });
        return;
      }
      try {
        checkOperation(args.schema, args.document, operation, variables.coerced, bounds);
      } catch (e) {
        if (!(e instanceof GraphQLError)) throw e;
        setResultAndStopExecution({ errors: [refusal(e)] });
      }
    },
  };
}
