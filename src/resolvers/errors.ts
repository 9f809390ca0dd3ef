import { createGraphQLError } from 'graphql-yoga';

/** The typed refusal of a bad argument: BAD_USER_INPUT, naming the argument. */
export const badInput = (message: string, argument: string) =>
  createGraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', argument } });
