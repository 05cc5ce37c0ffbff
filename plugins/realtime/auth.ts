/** The claims of a connection token the server uses. */
export interface TokenClaims {
  /** The user; `''` or missing for an anonymous connection. */
  sub?: string;
  /** Expiry, in s since the epoch; the client refreshes its token before it. */
  exp?: number;
  /** Connection info shown to others in presence, join and leave. */
  info?: unknown;
  /** Channels the connection is subscribed to by the server (used by the SSE endpoint). */
  channels?: string[];
}

/**
 * Checks a connection token and returns its claims; rejects when the token is
 * invalid. Any object with such a `verify` fits this shape.
 */
export interface TokenVerifier {
  verify(token: string): Promise<TokenClaims>;
}

/** Thrown by a verifier for a token that was valid but has expired. */
export class TokenExpiredError extends Error {
  readonly code = 'ERR_JWT_EXPIRED';
}

/** True when `err` says the token expired (jose's code, or `TokenExpiredError`). */
export function isExpired(err: unknown): boolean {
  return (err as { code?: unknown } | undefined)?.code === 'ERR_JWT_EXPIRED';
}

/** A verifier of HS256 tokens signed with `secret`, built on `jose`. */
export async function hs256Verifier(secret: string): Promise<TokenVerifier> {
  const { jwtVerify } = await import('jose');
  const key = new TextEncoder().encode(secret);
  return {
    async verify(token) {
      const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'] });
      return payload;
    },
  };
}
