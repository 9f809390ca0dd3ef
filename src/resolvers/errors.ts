import { createGraphQLError } from 'graphql-yoga';
import { isRefusal, type Refusal } from '../domain/refusal.ts';

/** The typed refusal of a bad argument: BAD_USER_INPUT, naming the argument. */
export const badInput = (message: string, argument: string) =>
  createGraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', argument } });

/** A domain rule's answer: its value, or its Refusal thrown as BAD_USER_INPUT. */
export function accepted<T>(answer: T | Refusal): T {
  if (isRefusal(answer)) throw badInput(answer.refused, answer.argument);
  return answer;
}
