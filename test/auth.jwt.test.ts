import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, exportSPKI, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, ConfigError } from '../src/index.js';
import { AuthPlugin } from '../plugins/auth/index.js';
import { captureLines } from './helpers/recording.js';

const SECRET = 'a-test-secret-of-at-least-32-characters!';
const dir = mkdtempSync(join(tmpdir(), 'auth-keys-'));
const agents: Agent[] = [];
let rsa: Awaited<ReturnType<typeof generateKeyPair>>;
let rsaPem: string;
let rsaFile: string;

beforeAll(async () => {
  rsa = await generateKeyPair('RS256', { extractable: true });
  rsaPem = await exportSPKI(rsa.publicKey);
  rsaFile = join(dir, 'rsa.pem');
  writeFileSync(rsaFile, rsaPem);
});

afterAll(async () => {
  for (const a of agents) await a.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function auth(config: Record<string, unknown>): Promise<AuthPlugin> {
  const plugin = new AuthPlugin();
  const agent = new Agent([plugin], {
    name: 'svc',
    env: {},
    config: { auth: config },
    log: { level: 'error', stream: captureLines().stream },
  });
  await agent.start();
  agents.push(agent);
  return plugin;
}

const now = () => Math.floor(Date.now() / 1000);
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

function hs(claims: JWTPayload, secret = SECRET): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(secret));
}

/** The reason `authenticate` refused a token with, or 'accepted'. */
async function verdict(plugin: AuthPlugin, token: string): Promise<string> {
  try {
    await plugin.authenticate(`Bearer ${token}`);
    return 'accepted';
  } catch (err) {
    return (err as { reason?: string }).reason ?? `threw ${String(err)}`;
  }
}

describe('JWT verification with an HS256 secret', () => {
  let plugin: AuthPlugin;
  beforeAll(async () => {
    plugin = await auth({
      secret: SECRET,
      issuer: 'https://issuer.test',
      audience: 'orders',
      clockTolerance: 5,
    });
  });
  const good = { iss: 'https://issuer.test', aud: 'orders', sub: 'ada' };

  it('accepts a valid token and returns its claims', async () => {
    const claims = await plugin.authenticate(`Bearer ${await hs({ ...good, exp: now() + 60 })}`);
    expect(claims).toMatchObject({ sub: 'ada', aud: 'orders' });
  });

  it('refuses an expired token, but accepts one within the clock tolerance', async () => {
    expect(await verdict(plugin, await hs({ ...good, exp: now() - 60 }))).toBe(
      'the token has expired',
    );
    expect(await verdict(plugin, await hs({ ...good, exp: now() - 2 }))).toBe('accepted');
  });

  it('refuses a token that is not valid yet', async () => {
    expect(await verdict(plugin, await hs({ ...good, nbf: now() + 120 }))).toBe(
      'the token is not valid yet',
    );
  });

  it('refuses a wrong issuer or audience', async () => {
    expect(await verdict(plugin, await hs({ ...good, iss: 'https://evil.test' }))).toBe(
      'the "iss" claim is not accepted',
    );
    expect(await verdict(plugin, await hs({ ...good, aud: 'billing' }))).toBe(
      'the "aud" claim is not accepted',
    );
  });

  it('refuses a token signed with another key, and a tampered payload', async () => {
    expect(await verdict(plugin, await hs(good, 'another-secret-that-is-also-32-chars-long'))).toBe(
      'the token signature does not verify',
    );
    const [header, , signature] = (await hs({ ...good, roles: ['user'] })).split('.');
    const tampered = `${header}.${b64({ ...good, roles: ['admin'] })}.${signature}`;
    expect(await verdict(plugin, tampered)).toBe('the token signature does not verify');
  });

  it('refuses alg none, a public-key algorithm it has no key for, and garbage', async () => {
    expect(await verdict(plugin, `${b64({ alg: 'none' })}.${b64(good)}.`)).toMatch(/algorithm/);
    const rs = await new SignJWT(good).setProtectedHeader({ alg: 'RS256' }).sign(rsa.privateKey);
    expect(await verdict(plugin, rs)).toMatch(/algorithm/);
    expect(await verdict(plugin, 'not.a.token')).toBe('the token is malformed');
    await expect(plugin.authenticate(undefined)).rejects.toMatchObject({ reason: /Bearer/ });
  });
});

describe('JWT verification with public keys', () => {
  it('verifies RS256 tokens with a PEM key file and refuses HS256 signed with that public key', async () => {
    const plugin = await auth({ keyFiles: [rsaFile] });
    const rs = await new SignJWT({ sub: 'ada' })
      .setProtectedHeader({ alg: 'RS256' })
      .sign(rsa.privateKey);
    expect(await verdict(plugin, rs)).toBe('accepted');
    const confused = await new SignJWT({ sub: 'mallory' })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(rsaPem));
    expect(await verdict(plugin, confused)).toMatch(/algorithm/);
  });

  it('refuses the public key used as an HMAC secret even when a secret is configured too', async () => {
    const plugin = await auth({ keyFiles: [rsaFile], secret: SECRET });
    const confused = await new SignJWT({ sub: 'mallory' })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(rsaPem));
    expect(await verdict(plugin, confused)).toBe('the token signature does not verify');
  });

  describe('from a JWKS URL', () => {
    let server: Server;
    let url: string;
    let fetches = 0;
    const keys: JWK[] = [];
    beforeAll(async () => {
      server = createServer((_req, res) => {
        fetches++;
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify({ keys }));
      }).listen(0, '127.0.0.1');
      await once(server, 'listening');
      url = `http://127.0.0.1:${(server.address() as { port: number }).port}/jwks.json`;
    });
    afterAll(() => void server.close());

    async function key(kid: string) {
      const pair = await generateKeyPair('ES256', { extractable: true });
      return { kid, pair, jwk: { ...(await exportJWK(pair.publicKey)), kid, alg: 'ES256' } };
    }
    const sign = (k: Awaited<ReturnType<typeof key>>) =>
      new SignJWT({ sub: k.kid })
        .setProtectedHeader({ alg: 'ES256', kid: k.kid })
        .sign(k.pair.privateKey);

    it('caches the key set, fetches it again for an unknown kid, and refuses keys it never lists', async () => {
      const first = await key('k1');
      keys.push(first.jwk);
      const plugin = await auth({ jwksUrl: url, jwksCooldown: 0 });
      expect(await verdict(plugin, await sign(first))).toBe('accepted');
      expect(await verdict(plugin, await sign(first))).toBe('accepted');
      expect(fetches).toBe(1);
      const rotated = await key('k2');
      keys.push(rotated.jwk);
      expect(await verdict(plugin, await sign(rotated))).toBe('accepted');
      expect(fetches).toBe(2);
      const stranger = await key('k3');
      expect(await verdict(plugin, await sign(stranger))).toBe('no known key matches the token');
    });
  });
});

describe('auth configuration', () => {
  it('refuses to start without any key, and with a bad rule, naming the setting', async () => {
    const configError = (err: unknown) =>
      (err instanceof ConfigError ? err : (err as { cause?: unknown }).cause) as ConfigError;
    const noKey = configError(await auth({}).catch((e: unknown) => e));
    expect(noKey).toBeInstanceOf(ConfigError);
    expect(noKey.issues[0]!.setting).toBe('secret');
    const badRule = configError(
      await auth({ secret: SECRET, rules: [{ match: 'orders' }] }).catch((e: unknown) => e),
    );
    expect(badRule.issues[0]!.setting).toBe('rules');
    expect(badRule.message).toMatch(/rules\[0\]/);
  });

  it('never shows the secret in the described configuration', () => {
    const agent = new Agent([new AuthPlugin()], { name: 'svc', env: { SVC_AUTH_SECRET: SECRET } });
    expect(JSON.stringify(agent.describeConfig())).not.toContain(SECRET);
  });
});
