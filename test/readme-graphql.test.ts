// Every GraphQL block of the README is a valid operation of the schema as served: a renamed field, a
// missing argument or a wrong type in an example fails here, not in a user's first query.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const schema = buildSchema(readFileSync(join(root, 'schema.graphql'), 'utf8'));
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** The ```graphql blocks with the line each starts on. */
const blocks = [...readme.matchAll(/^```graphql\n([\s\S]*?)^```/gm)].map((m) => ({
  line: readme.slice(0, m.index).split('\n').length,
  text: m[1] ?? '',
}));

/** Operations written inline, in backticks: `query { … }` and `mutation { … }`. */
const inline = [...readme.matchAll(/`((?:query|mutation) \{[^`]*\})`/g)].map((m) => ({
  line: readme.slice(0, m.index).split('\n').length,
  text: m[1] ?? '',
}));

describe('the README’s GraphQL examples', () => {
  it('are there', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(6);
  });
  it.each(inline.map((b) => [b.line, b.text] as const))('inline at line %i validates: %s', (_line, text) => {
    expect(validate(schema, parse(text)).map((e) => e.message)).toEqual([]);
  });
  it.each(blocks.map((b) => [b.line, b.text] as const))('line %i validates against schema.graphql', (_line, text) => {
    // a block may hold several operations, each one a request of its own
    const doc = parse(text);
    const fragments = doc.definitions.filter((d) => d.kind === 'FragmentDefinition');
    for (const op of doc.definitions.filter((d) => d.kind === 'OperationDefinition')) {
      const errors = validate(schema, { ...doc, definitions: [op, ...fragments] }).map((e) => e.message);
      expect(errors).toEqual([]);
    }
  });
});
