import { NoSchemaIntrospectionCustomRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** When introspection is off, queries on __schema / __type fail validation (GraphQL's own rule). */
export function useIntrospection(enabled: boolean): Plugin {
  return enabled ? {} : { onValidate: ({ addValidationRule }) => addValidationRule(NoSchemaIntrospectionCustomRule) };
}
