import { timingSafeEqual } from 'node:crypto';
import { ferryError } from '../../errors/index.ts';

/** read < write < admin for management; infer for the data plane when `auth.inference: token` (admin has it too). */
export type Scope = 'read' | 'write' | 'admin' | 'infer';

/** Who made a request: the token's name (the actor in the audit log) and what it may do. */
export interface Principal {
  readonly name: string;
  readonly scopes: ReadonlySet<Scope>;
}

export interface TokenSpec {
  readonly name: string;
  readonly token: string;
  readonly scopes: readonly Scope[];
}

export interface AuthSettings {
  readonly tokens: readonly TokenSpec[];
  /** Management from loopback without a token, as `loopback` with every scope: only when the operator says so. */
  readonly allowLoopbackWithoutToken: boolean;
}

export interface RequestLike {
  readonly headers: Record<string, string | string[] | undefined>;
  readonly socket: { readonly remoteAddress?: string | undefined };
}

/** Checks a request's token for a scope; throws 401 (no or unknown token) or 403 (token lacks the scope). */
export type Authorize = (request: RequestLike, scope: Scope) => Principal;

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/** admin implies write and infer, write implies read. */
function expand(scopes: readonly Scope[]): ReadonlySet<Scope> {
  const out = new Set<Scope>(scopes);
  if (out.has('admin')) out.add('write').add('infer');
  if (out.has('write')) out.add('read');
  return out;
}

/**
 * Bearer tokens with scopes, required on every management endpoint. Tokens are compared in constant time, and
 * every configured token is compared, so timing tells nothing about which one nearly matched.
 */
export function createAuthorizer(settings: AuthSettings): Authorize {
  const known = settings.tokens.map((t) => ({ name: t.name, secret: Buffer.from(t.token), scopes: expand(t.scopes) }));
  const loopback: Principal = { name: 'loopback', scopes: expand(['admin']) };
  return (request, scope) => {
    const presented = bearer(request);
    let principal: Principal | undefined;
    if (presented === undefined) {
      if (settings.allowLoopbackWithoutToken && LOOPBACK.test(request.socket.remoteAddress ?? '')) principal = loopback;
    } else {
      for (const candidate of known) {
        if (presented.length === candidate.secret.length && timingSafeEqual(presented, candidate.secret)) principal ??= candidate;
      }
    }
    if (!principal) throw ferryError('FERRY_ERR_UNAUTHORIZED');
    if (!principal.scopes.has(scope)) throw ferryError('FERRY_ERR_FORBIDDEN', { actor: principal.name, scope });
    return principal;
  };
}

function bearer(request: RequestLike): Buffer | undefined {
  const header = request.headers['authorization'];
  const value = Array.isArray(header) ? header[0] : header;
  const match = value === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(value);
  return match ? Buffer.from(match[1]!) : undefined;
}

/** The tokens a configuration names: `auth.token` (every scope, named `default`) and `auth.tokens`. */
export function tokensFromConfig(auth: { readonly token?: string | undefined; readonly tokens: readonly TokenSpec[] }): TokenSpec[] {
  return [...(auth.token ? [{ name: 'default', token: auth.token, scopes: ['admin'] as Scope[] }] : []), ...auth.tokens];
}
