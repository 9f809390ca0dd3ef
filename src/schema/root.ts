// The roots of the schema and its common scalar; every other file adds its fields to them.
import { DateTimeResolver } from 'graphql-scalars';
import { builder } from '../builder.ts';

builder.addScalarType('DateTime', DateTimeResolver);
builder.queryType({});
builder.mutationType({});
