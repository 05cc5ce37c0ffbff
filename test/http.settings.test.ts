import { describe, expect, it } from 'vitest';
import { RpcFlavor } from '../flavors/rpc/index.js';
import { Agent } from '../src/index.js';

/** Starts an RPC agent with `env` and returns why it did not start. */
async function refusal(env: Record<string, string>): Promise<{ code?: string; message: string }> {
  const agent = new Agent(new RpcFlavor(), {
    name: 'settings',
    env: { SETTINGS_HTTP_PORT: '0', ...env },
    log: { level: 'error' },
  });
  try {
    await agent.start();
  } catch (err) {
    return err as { code?: string; message: string };
  }
  await agent.stop();
  throw new Error(`started with ${JSON.stringify(env)}`);
}

describe('http settings that could never work are refused at start', () => {
  // a token read from a file often keeps its newline; no client can send it in a header
  it.each(['token\n', ' token', 'token ', 'to\r\nken', '   '])(
    'refuses the admin token %j with a ConfigError naming adminToken, without showing it',
    async (token) => {
      const err = await refusal({ SETTINGS_HTTP_ADMIN_TOKEN: token });
      expect(err.code).toBe('FK_CONFIG');
      expect(err.message).toContain('adminToken');
      expect(err.message).toContain('white space');
      expect(err.message).not.toContain('token ');
    },
  );

  it.each(['lots', '-1kb', '1 megabyte', ''])(
    'refuses the body limit %j with a ConfigError naming bodyLimit',
    async (limit) => {
      const err = await refusal({ SETTINGS_HTTP_BODY_LIMIT: limit });
      expect(err.code).toBe('FK_CONFIG');
      expect(err.message).toContain('bodyLimit');
    },
  );

  it.each(['100kb', '1 MB', '2048', '1.5mb'])('takes the body limit %j', async (limit) => {
    const agent = new Agent(new RpcFlavor(), {
      name: 'settings',
      env: { SETTINGS_HTTP_PORT: '0', SETTINGS_HTTP_BODY_LIMIT: limit },
      log: { level: 'error' },
    });
    await agent.start();
    await agent.stop();
  });
});
