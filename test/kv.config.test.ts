import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Agent, type ConfigError } from '../src/index.js';
import { KvPlugin } from '../plugins/kv/index.js';
import { runTs } from './helpers/child.js';
import { kvTargets, stopTargets } from './helpers/kv.js';
import { lineSeen } from './helpers/recording.js';
import { freePort, ownRedis } from './helpers/servers.js';

const starter = fileURLToPath(new URL('./fixtures/kv-start.ts', import.meta.url));

function agentWith(settings: Record<string, unknown>, stream?: NodeJS.WritableStream) {
  const kv = new KvPlugin();
  const agent = new Agent([{ name: 'kv', plugin: kv }], {
    name: 'kvconfig',
    env: {},
    config: { kv: settings },
    log: stream ? { format: 'json', stream } : { level: 'error' },
  });
  return { kv, agent };
}

async function startFailure(settings: Record<string, unknown>): Promise<Error> {
  const { agent } = agentWith(settings);
  return (await agent.start().then(
    () => new Error('the start did not fail'),
    (e: unknown) => e,
  )) as Error;
}

describe('kv settings', () => {
  it.each([
    [
      { url: 'mysql://127.0.0.1:3306' },
      'url',
      /scheme "mysql:"; use etcd:\/\/, redis:\/\/ or memory:/,
    ],
    [{ url: '127.0.0.1:2379' }, 'url', /is not a URL/],
    [
      { backend: 'etcd', url: 'redis://127.0.0.1:6379' },
      'backend',
      /is etcd but url is a redis URL/,
    ],
    [{ backend: 'consul' }, 'backend', /memory, etcd, redis/],
    [{ backend: 'etcd', namespace: 'a:b' }, 'namespace', /holds ":"/],
  ])('refuses %o naming the setting', async (settings, setting, message) => {
    const error = (await startFailure(settings)) as ConfigError;
    expect(error).toMatchObject({ code: 'FK_CONFIG', plugin: 'kv' });
    expect(error.issues).toEqual([expect.objectContaining({ plugin: 'kv', setting })]);
    expect(error.issues[0]!.message).toMatch(message);
  });

  it('fails the start naming the file setting when the file cannot be written or read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kv-file-'));
    try {
      const missing = join(dir, 'no-such-dir', 'kv.json');
      const broken = join(dir, 'broken.json');
      writeFileSync(broken, 'not json');
      for (const file of [missing, broken]) {
        const error = (await startFailure({ file })) as ConfigError;
        expect(error).toMatchObject({ code: 'FK_CONFIG', plugin: 'kv' });
        expect(error.issues).toEqual([expect.objectContaining({ plugin: 'kv', setting: 'file' })]);
        expect(error.issues[0]!.message).toContain(file);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each(['etcd', 'redis'])(
    'fails the start naming %s and host:port when nothing answers, never the password',
    async (kind) => {
      const port = await freePort();
      const url =
        kind === 'etcd' ? `etcd://127.0.0.1:${port}` : `redis://:sekrit-pw@127.0.0.1:${port}`;
      const error = await startFailure({ url, requestTimeout: 1_000 });
      expect(error).toMatchObject({ code: 'FK_KV', reason: 'unavailable', plugin: 'kv' });
      expect(error.message).toContain(`cannot reach ${kind} at 127.0.0.1:${port}`);
      expect(error.message).not.toContain('sekrit-pw');
    },
  );

  it('waits for a server that comes up later with waitForServer', async () => {
    const server = await ownRedis();
    try {
      await server.kill();
      const log = lineSeen('waiting for it (waitForServer)');
      const { kv, agent } = agentWith(
        { url: `redis://127.0.0.1:${server.port}`, namespace: 'late', waitForServer: true },
        log.stream,
      );
      const started = agent.start();
      await log.seen;
      await server.restart();
      await started;
      expect(await kv.put('/k', 1)).toBeGreaterThan(0);
      await agent.stop();
    } finally {
      await server.stop();
    }
  });
});

describe('a process using the store', () => {
  const targets = kvTargets();
  afterAll(async () => stopTargets(await targets));

  it('ends by itself after a failed start', async () => {
    const port = await freePort();
    const child = runTs(starter, [], { KV_URL: `redis://127.0.0.1:${port}` });
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(child.output()).toMatch(/^failed FK_KV: .*cannot reach redis/m);
  });

  it.each(['etcd', 'redis'] as const)(
    'ends by itself after a stop with a watch, a lock and an election still open on %s',
    async (kind) => {
      const target = (await targets).find((t) => t.kind === kind)!;
      const { url, namespace } = target.settings() as { url: string; namespace: string };
      const child = runTs(starter, [], { KV_URL: url, KV_NAMESPACE: namespace });
      expect(await child.exited).toEqual({ code: 0, signal: null });
      expect(child.output().trim()).toBe('stopped');
    },
  );
});
