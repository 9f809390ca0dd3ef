// Who-did-it, as every record of the trail, the policy and datasheet histories, splits and exports
// writes it: server/context.ts actorOf(ctx) makes one per request.
import type { Role } from './roles.ts';

/** Who acts in a request, as every record of who-did-it writes it. */
export interface Actor {
  /** The token's stored form, `token:<id>` (`token:public` for an anonymous caller): what split owners are. */
  source: string;
  /** The de-identified staff code: a keyed hash of `source`, like every examiner code (the trail's actor). */
  code: string;
  tokenId: number | null;
  role: Role | null;
  admin: boolean;
}

/** A tool acting outside any request (the CLI, a bench, a test): its name stands for token and code. */
export const toolActor = (name: string): Actor => ({
  source: name,
  code: name,
  tokenId: null,
  role: 'ADMIN',
  admin: true,
});
