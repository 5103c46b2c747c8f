// Who is calling: every /v1 route needs `Authorization: Bearer <key>` (an API key, or the bootstrap
// admin key); the event routes also take a stream token as `?token=`. /metrics takes an admin key
// or METRICS_TOKEN. /healthz, /readyz, /docs and /openapi.* are public.
//
// A route says who may call it in its config: `access: 'admin'` (admin keys only, else 403),
// `streamToken: true` (also ?token=). Missing or unknown credentials: 401 with WWW-Authenticate.
// Objects of another tenant are not forbidden but absent (404): src/server/access.ts.
import { createHash, timingSafeEqual } from 'node:crypto';
import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import { DEFAULT_TENANT, PROBLEM_TYPES, type Role } from '../../contracts/index.js';
import { ProblemError } from '../errors.js';

export interface Principal {
  tenant: string;
  role: Role;
  /** The key's id (`admin` for the bootstrap key); a stream token carries its key's id. */
  keyId: string;
  via: 'key' | 'stream-token';
}

export type Access = 'public' | 'member' | 'admin' | 'metrics';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Who may call the route; default: `member` under /v1, else `public`. */
    access?: Access;
    /** The route also accepts a stream token as ?token= (read-only event routes). */
    streamToken?: boolean;
  }
}

export interface AuthPluginOptions {
  adminKey: string | undefined;
  metricsToken: string | undefined;
}

const ADMIN_KEY_ID = 'admin';

const digest = (s: string) => createHash('sha256').update(s).digest();
const sameSecret = (given: string, expected: Buffer | undefined) => expected !== undefined && timingSafeEqual(digest(given), expected);

export function unauthorized(detail: string, error?: 'invalid_token'): ProblemError {
  const challenge = `Bearer realm="convoy"${error ? `, error="${error}"` : ''}`;
  return new ProblemError(401, detail, {
    type: PROBLEM_TYPES.unauthorized,
    code: 'unauthorized',
    headers: { 'www-authenticate': challenge },
  });
}

const forbidden = () => new ProblemError(403, 'this route needs an admin key', { type: PROBLEM_TYPES.forbidden, code: 'forbidden' });

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) throw unauthorized('Authorization must be "Bearer <key>"', 'invalid_token');
  return m[1];
}

export default fp<AuthPluginOptions>(
  async (app, opts) => {
    const adminDigest = opts.adminKey ? digest(opts.adminKey) : undefined;
    const metricsDigest = opts.metricsToken ? digest(opts.metricsToken) : undefined;
    app.decorateRequest('principal', null);

    async function fromKey(key: string): Promise<Principal | null> {
      if (sameSecret(key, adminDigest)) return { tenant: DEFAULT_TENANT, role: 'admin', keyId: ADMIN_KEY_ID, via: 'key' };
      const info = await app.apiKeys.lookup(key);
      return info && { tenant: info.tenant, role: info.role, keyId: info.id, via: 'key' };
    }

    async function fromStreamToken(token: string): Promise<Principal | null> {
      const grant = await app.streamTokens.verify(token);
      if (!grant) return null;
      // Revoking the key that asked for the token revokes the token.
      const alive = grant.keyId === ADMIN_KEY_ID ? adminDigest !== undefined : (await app.apiKeys.get(grant.keyId)) !== null;
      return alive ? { tenant: grant.tenant, role: 'member', keyId: grant.keyId, via: 'stream-token' } : null;
    }

    app.addHook('onRequest', async (request) => {
      const config = request.routeOptions.config ?? {};
      const access: Access = config.access ?? (request.url.startsWith('/v1/') || request.url === '/v1' ? 'member' : 'public');
      if (access === 'public') return;
      const key = bearer(request);
      if (access === 'metrics') {
        if (key && sameSecret(key, metricsDigest)) return;
        const p = key ? await fromKey(key) : null;
        if (!p) throw unauthorized(key ? 'unknown or revoked key' : 'send Authorization: Bearer <admin key or METRICS_TOKEN>');
        if (p.role !== 'admin') throw forbidden();
        request.principal = p;
        return;
      }
      const token = (request.query as { token?: unknown } | undefined)?.token;
      if (key === undefined && typeof token === 'string' && config.streamToken) {
        request.principal = await fromStreamToken(token);
        if (!request.principal) throw unauthorized('the stream token is unknown, expired or revoked', 'invalid_token');
        return;
      }
      if (key === undefined) throw unauthorized('send Authorization: Bearer <key> (docs/api.md, "Authentication")');
      request.principal = await fromKey(key);
      if (!request.principal) throw unauthorized('unknown or revoked key', 'invalid_token');
      if (access === 'admin' && request.principal.role !== 'admin') throw forbidden();
    });
  },
  { name: 'convoy-auth', dependencies: ['convoy-redis'] },
);

/** The caller (set by the auth hook on every non-public route). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw unauthorized('not authenticated');
  return request.principal;
}
