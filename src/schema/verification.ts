// The verification trail over the API, shared by its nouns (annotation.ts, review.ts, consensus.ts,
// histopathology.ts, label-change.ts): who may see staff codes, what a trail mutation refuses, and
// the one shape of a trail mutation: the image by global id, its expected version, the caller as
// the actor, the write, and the image read back.
import type { InputFieldMap, InputShapeFromFields } from '@pothos/core';
import type { builder } from '../builder.ts';
import { WORKFLOW_TEXT_LIMITS } from '../domain/verification.ts';
import { type TrailService, writeTrail } from '../resolvers/workflow.ts';
import { actorOf, type Context } from '../server/context.ts';
import { type GlobalId, imageIdOf } from './ids.ts';

// Codes of examiners, reviewers and pathologists are de-identified, yet still visible to reviewers
// and admins only: each such field is nullable and FORBIDDEN for the other roles.
export const staffOnly = { authScopes: { reviewer: true }, nullable: true } as const;

const chars = (n: number) => n.toLocaleString('en-US');
export const NOTE_MAX = chars(WORKFLOW_TEXT_LIMITS.note);
export const REASON_MAX = chars(WORKFLOW_TEXT_LIMITS.reason);
export const RESULT_MAX = chars(WORKFLOW_TEXT_LIMITS.result);

/** A trail mutation's refusals, for its description: every code it answers with, and when. */
export const refusals = (role: string, rules: readonly string[], texts?: string) =>
  'Refused (typed `extensions.code`; a refusal changes nothing): `UNAUTHENTICATED` without a token; ' +
  `\`FORBIDDEN\` below the ${role} role; \`BAD_USER_INPUT\` (with \`argument\`) for a malformed id or another type’s` +
  (texts ? `, ${texts}` : '') +
  `; \`NOT_FOUND\` for an unknown image; ${rules.join('; ')}; \`CONFLICT\` when \`expectedVersion\` is not the ` +
  'image’s version.';

/** What every trail write gets: the image, the version the caller saw, and the caller's staff code. */
export interface TrailTarget {
  imageId: number;
  expectedVersion: number;
  actor: string;
}

type MutationFieldBuilder = Parameters<Parameters<typeof builder.mutationFields>[0]>[0];

/**
 * A mutation of an image's verification trail: `image` (global id) and `expectedVersion` beside the
 * mutation's own `args`; `service` is the trail write and `input` its input from the arguments (it
 * may refuse first: a part of the mutation for a higher role). Answers with the image as it is now.
 */
export function trailMutation<Args extends InputFieldMap, Input>(
  t: MutationFieldBuilder,
  options: {
    authScopes: { reviewer: true } | { admin: true };
    description: string;
    args: Args;
    service: TrailService<Input>;
    input: (target: TrailTarget, args: InputShapeFromFields<Args>, ctx: Context) => Input;
  },
) {
  return t.prismaField({
    type: 'Image',
    authScopes: options.authScopes,
    description: options.description,
    args: {
      image: t.arg.globalID({ required: true }),
      expectedVersion: t.arg.int({ required: true }),
      ...options.args,
    },
    resolve: (query, _root, args, ctx) => {
      const { image, expectedVersion } = args as unknown as { image: GlobalId; expectedVersion: number };
      const imageId = imageIdOf(image);
      const target = { imageId, expectedVersion, actor: actorOf(ctx).code };
      const input = options.input(target, args as unknown as InputShapeFromFields<Args>, ctx);
      return writeTrail(query, imageId, options.service, input);
    },
  });
}
