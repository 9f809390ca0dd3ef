// Bearer tokens over the API, for admins: list, create (the secret shown once), revoke. The same
// services as `dermaset token list|create|revoke` (resolvers/tokens.ts); the secret's hash never
// leaves the database.
import { createGraphQLError } from 'graphql-yoga';
import { builder } from '../builder.ts';
import type { Role } from '../domain/roles.ts';
import { badInput } from '../resolvers/errors.ts';
import { createToken, listTokens, revokeToken, TOKEN_BOUNDS, tokenById } from '../resolvers/tokens.ts';

type TokenRow = Awaited<ReturnType<typeof listTokens>>[number];

const StaffRoleEnum = builder.enumType('StaffRole', {
  description: 'The roles a token grants, in order: each includes the rights of the ones before it.',
  values: {
    VIEWER: { description: 'Reads the dataset' },
    ANNOTATOR: { description: 'Also reads the intake log and acquires and annotates images' },
    REVIEWER: { description: 'Also sees examiner and reviewer codes, reviews, records consensus and histology' },
    ADMIN: { description: 'Also manages settings, policies, releases and tokens, and corrects labels' },
  } satisfies Record<Role, { description: string }>,
});

const StaffTokenRef = builder.objectRef<TokenRow>('StaffToken').implement({
  description:
    'A bearer token (never its secret nor the secret’s hash): who or what uses it, its role, when it was made and ' +
    'revoked. `dermaset token list` shows the same.',
  fields: (t) => ({
    id: t.exposeInt('id', { description: 'The token’s number, as `dermaset token list` shows it' }),
    label: t.exposeString('name', { description: 'Who or what uses it ("gallery frontend")' }),
    role: t.field({ type: StaffRoleEnum, resolve: (r) => r.role }),
    prefix: t.exposeString('prefix', {
      description: 'The secret’s first characters (dst_ and 6 more), to tell tokens apart; not enough to use it',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    revokedAt: t.expose('revokedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'Null: active. A revoked token’s sessions and signed URLs stop at once',
    }),
  }),
});

const CreatedTokenRef = builder.objectRef<{ secret: string; token: TokenRow }>('CreatedToken').implement({
  description:
    'A new token: its secret, shown only in this answer (the server keeps only its SHA-256), and its record.',
  fields: (t) => ({
    secret: t.exposeString('secret', {
      description: 'The bearer token itself (dst_…): shown once, never again; send it as Authorization: Bearer …',
    }),
    token: t.field({ type: StaffTokenRef, resolve: (c) => c.token }),
  }),
});

const CreateTokenInput = builder.inputType('CreateTokenInput', {
  fields: (t) => ({
    role: t.field({ type: StaffRoleEnum, required: true }),
    label: t.string({
      required: true,
      description: `Who or what will use it, e.g. "gallery frontend": 1–${TOKEN_BOUNDS.label} characters, no control characters`,
    }),
  }),
});

/** A label as stored: trimmed, 1–TOKEN_BOUNDS.label characters, no control characters; else BAD_USER_INPUT. */
function labelOf(raw: string): string {
  const label = raw.trim();
  if (label.length === 0) throw badInput('input.label is empty: say who or what will use the token', 'input.label');
  if (label.length > TOKEN_BOUNDS.label)
    throw badInput(`input.label has ${label.length} characters: at most ${TOKEN_BOUNDS.label}`, 'input.label');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(label)) throw badInput('input.label holds a control character', 'input.label');
  return label;
}

builder.queryFields((t) => ({
  tokens: t.field({
    type: [StaffTokenRef],
    authScopes: { admin: true },
    description: 'Every bearer token, oldest first, active and revoked (never a secret). Admins only (FORBIDDEN).',
    resolve: () => listTokens(),
  }),
}));

builder.mutationFields((t) => ({
  createToken: t.field({
    type: CreatedTokenRef,
    authScopes: { admin: true },
    description:
      'Admins only (FORBIDDEN). Creates a bearer token of the role and returns its secret once, as ' +
      '`dermaset token create` does. A label that is empty, over ' +
      `${TOKEN_BOUNDS.label} characters or holds a control character is BAD_USER_INPUT, and nothing is stored.`,
    args: { input: t.arg({ type: CreateTokenInput, required: true }) },
    resolve: async (_root, { input }) => {
      const { token: secret, id } = await createToken(labelOf(input.label), input.role);
      const token = await tokenById(id);
      if (!token) throw new Error(`token ${id} was created and is gone`);
      return { secret, token };
    },
  }),
  revokeToken: t.field({
    type: StaffTokenRef,
    authScopes: { admin: true },
    description:
      'Admins only (FORBIDDEN). Revokes a token by id, as `dermaset token revoke` does: its bearer requests, sessions ' +
      'and signed URLs stop at once. Revoking a revoked token changes nothing and returns it as it is (its first ' +
      'revokedAt); an id no token has is NOT_FOUND. Revoking your own token ends your own session.',
    args: { id: t.arg.int({ required: true, description: 'The token’s id (StaffToken.id)' }) },
    resolve: async (_root, { id }) => {
      const known = await tokenById(id);
      if (!known) throw notFound(id);
      if (known.revokedAt === null) await revokeToken(id);
      return (await tokenById(id)) ?? known;
    },
  }),
}));

const notFound = (id: number) =>
  createGraphQLError(`no token ${id}: \`tokens\` lists them`, { extensions: { code: 'NOT_FOUND', argument: 'id' } });
