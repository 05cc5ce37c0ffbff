import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { JSONWebKeySet, JWK, JWTVerifyGetKey, JWTVerifyOptions } from 'jose';
import type { AuthConfig } from './config.js';
import type { Claims } from './rules.js';

type Jose = typeof import('jose');

/** Asymmetric algorithms accepted with keys from a JWKS or from files. */
const ASYMMETRIC = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

/** A token was refused; `reason` is safe to show the caller. */
export class TokenRefused extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** Verifies a compact JWT and resolves with its claims, or rejects with `TokenRefused`. */
export type Verify = (token: string) => Promise<Claims>;

/**
 * A verifier from the settings: HS256 with the secret; asymmetric algorithms
 * with keys from the JWKS URL (cached, fetched again for an unknown key id) or
 * from key files. An HMAC token is never checked against a public key, nor a
 * public-key token against the secret; `alg: none` is always refused.
 */
export function verifier(jose: Jose, config: AuthConfig): Verify {
  const secret = config.secret === undefined ? undefined : new TextEncoder().encode(config.secret);
  const local =
    config.keyFiles.length > 0 ? jose.createLocalJWKSet(readKeyFiles(config.keyFiles)) : undefined;
  const remote =
    config.jwksUrl === undefined
      ? undefined
      : jose.createRemoteJWKSet(new URL(config.jwksUrl), {
          cooldownDuration: config.jwksCooldown,
          cacheMaxAge: config.jwksCacheMaxAge,
        });
  const algorithms = [...(secret ? ['HS256'] : []), ...(local || remote ? ASYMMETRIC : [])];
  const options: JWTVerifyOptions = {
    algorithms,
    clockTolerance: config.clockTolerance,
    ...(config.issuer === undefined ? {} : { issuer: config.issuer }),
    ...(config.audience === undefined ? {} : { audience: config.audience }),
  };
  const getKey: JWTVerifyGetKey = async (header, token) => {
    if (!algorithms.includes(header.alg ?? 'none'))
      throw new TokenRefused(`the algorithm ${header.alg} is not accepted`);
    if (header.alg === 'HS256') return secret!;
    if (local) {
      try {
        return await local(header, token);
      } catch (err) {
        if (!remote || (err as { code?: string }).code !== 'ERR_JWKS_NO_MATCHING_KEY') throw err;
      }
    }
    return remote!(header, token);
  };
  return async (token) => {
    try {
      return (await jose.jwtVerify(token, getKey, options)).payload;
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS')
        return tryEach(jose, token, err as AsyncIterable<KeyObject>, options);
      throw refusal(err);
    }
  };
}

/** Several keys fit a token without a key id: the first that verifies wins. */
async function tryEach(
  jose: Jose,
  token: string,
  keys: AsyncIterable<KeyObject>,
  options: JWTVerifyOptions,
) {
  let last: unknown;
  for await (const key of keys) {
    try {
      return (await jose.jwtVerify(token, key, options)).payload;
    } catch (err) {
      last = err;
    }
  }
  throw refusal(last);
}

/** A short reason for the caller; never a stack or a key. */
function refusal(err: unknown): TokenRefused {
  if (err instanceof TokenRefused) return err;
  const { code, claim } = (err ?? {}) as { code?: string; claim?: string };
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return new TokenRefused('the token has expired');
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return new TokenRefused(
        claim === 'nbf' ? 'the token is not valid yet' : `the "${claim}" claim is not accepted`,
      );
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return new TokenRefused('the token signature does not verify');
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return new TokenRefused('the token algorithm is not accepted');
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return new TokenRefused('no known key matches the token');
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JWKS_INVALID':
      return new TokenRefused('the signing keys cannot be fetched now');
    default:
      return new TokenRefused('the token is malformed');
  }
}

/** Reads PEM public keys or certificates, JWKs and JWKS files into one key set. */
function readKeyFiles(files: string[]): JSONWebKeySet {
  const keys: JWK[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    if (text.trimStart().startsWith('{')) {
      const json = JSON.parse(text) as JWK | JSONWebKeySet;
      keys.push(...('keys' in json ? json.keys : [json]));
    } else {
      keys.push(createPublicKey(text).export({ format: 'jwk' }));
    }
  }
  return { keys };
}
