import { IsArray, IsIn, IsInt, IsOptional, IsString, IsUrl, Min, MinLength } from 'class-validator';
import { Setting } from '../../src/index.js';
import type { AccessRule } from './rules.js';

/** Settings of the `auth` plugin. */
export class AuthConfig {
  @Setting({
    description: 'HS256 secret (at least 32 characters); unset: HMAC tokens are refused',
    secret: true,
  })
  @IsOptional()
  @IsString()
  @MinLength(32)
  secret?: string | undefined;

  @Setting({ description: 'URL of a JWKS with the RS/ES/EdDSA keys that sign tokens' })
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  jwksUrl?: string | undefined;

  @Setting({ description: 'ms before an unknown key id may fetch the JWKS again' })
  @IsInt()
  @Min(0)
  jwksCooldown = 30_000;

  @Setting({ description: 'ms the fetched JWKS is used before it is fetched again' })
  @IsInt()
  @Min(0)
  jwksCacheMaxAge = 600_000;

  @Setting({ description: 'files with public keys: PEM (SPKI or certificate), JWK or JWKS JSON' })
  @IsArray()
  @IsString({ each: true })
  keyFiles: string[] = [];

  @Setting({ description: 'required "iss" claim; unset: not checked' })
  @IsOptional()
  @IsString()
  issuer?: string | undefined;

  @Setting({ description: 'required "aud" claim; unset: not checked' })
  @IsOptional()
  @IsString()
  audience?: string | undefined;

  @Setting({ description: 'seconds of clock difference accepted for "exp" and "nbf"' })
  @IsInt()
  @Min(0)
  clockTolerance = 30;

  @Setting({ description: 'claim holding the roles (array or space-separated string)' })
  @IsString()
  rolesClaim = 'roles';

  @Setting({ description: 'claim holding the scopes (space-separated string or array)' })
  @IsString()
  scopesClaim = 'scope';

  @Setting({ description: 'role that may call the admin routes instead of the static admin token' })
  @IsString()
  adminRole = 'admin';

  @Setting({ description: 'access rules: [{ "match": "GET /orders/*", "roles": ["clerk"] }, ...]' })
  @IsArray()
  rules: AccessRule[] = [];

  @Setting({ description: 'what a request no rule matches needs: authenticated, or public' })
  @IsIn(['authenticated', 'public'])
  unmatched: 'authenticated' | 'public' = 'authenticated';
}
