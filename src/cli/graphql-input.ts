// Arguments of the CLI read as the API reads them: a --filter is an ImageFilter, a split's options
// a CreateSplitInput, coerced by the GraphQL schema's own input types (enums, Int, Date, unknown
// fields), so the command line accepts and refuses exactly what the API does.
import { coerceInputValue, type GraphQLInputType, isInputType } from 'graphql';
import { parseJsonOption, UsageError } from './user-error.ts';

/** The schema, loaded by the commands that need it (`--help`, `token` and `import` stay fast). */
async function inputType(name: string): Promise<GraphQLInputType> {
  const { schema } = await import('../schema/index.ts');
  const type = schema.getType(name);
  if (!type || !isInputType(type)) throw new Error(`the schema has no input type ${name}`);
  return type;
}

/**
 * `value` coerced to the schema's input type `typeName`; the first refusal is a UsageError naming
 * the option and the path inside it (`--filter: at "diagnosisClass[0]": Value "NEVU" does not exist …`).
 */
export async function coerceInput<T>(option: string, typeName: string, value: unknown): Promise<T> {
  const type = await inputType(typeName);
  let first: string | undefined;
  const coerced = coerceInputValue(value, type, (path, _invalid, error) => {
    if (first !== undefined) return;
    const at = path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
    first = `${option}${at ? ` at "${at}"` : ''}: ${error.message}`;
  });
  if (first !== undefined) throw new UsageError(first);
  return coerced as T;
}

/** A --filter JSON text as an ImageFilter (undefined when not given). */
export async function filterOption<T>(text: string | undefined): Promise<T | undefined> {
  if (text === undefined) return undefined;
  const value = parseJsonOption('--filter', text);
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new UsageError('--filter is a JSON object of ImageFilter fields, e.g. \'{"diagnosisClass":["MELANOMA"]}\'');
  return coerceInput<T>('--filter', 'ImageFilter', value);
}
