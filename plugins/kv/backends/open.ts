import { ConfigError, KvError, messageOf, type Logger } from '../../../src/index.js';
import type { Backend } from '../backend.js';
import { BACKENDS, type KvConfig } from '../config.js';
import { MemoryBackend } from './memory.js';

type Kind = (typeof BACKENDS)[number];

const SCHEMES: Record<string, Kind> = {
  'etcd:': 'etcd',
  'etcds:': 'etcd',
  'redis:': 'redis',
  'rediss:': 'redis',
  'memory:': 'memory',
};

/** The backend a configuration names: by `backend`, else by the scheme of `url`, else memory. */
export function backendKind(plugin: string, cfg: KvConfig): Kind {
  let fromUrl: Kind | undefined;
  if (cfg.url !== undefined) {
    const scheme = /^([a-z][a-z0-9+.-]*:)/i.exec(cfg.url)?.[1]?.toLowerCase();
    if (!scheme)
      throw configError(
        plugin,
        'url',
        'is not a URL (e.g. etcd://127.0.0.1:2379 or redis://127.0.0.1:6379)',
      );
    fromUrl = SCHEMES[scheme];
    if (!fromUrl)
      throw configError(
        plugin,
        'url',
        `has the scheme "${scheme}"; use etcd://, redis:// or memory:`,
      );
  }
  if (cfg.backend && fromUrl && cfg.backend !== fromUrl)
    throw configError(plugin, 'backend', `is ${cfg.backend} but url is a ${fromUrl} URL`);
  return cfg.backend ?? fromUrl ?? 'memory';
}

/**
 * Opens the configured backend; rejects naming the server when it does not answer.
 * With `waitForServer` it tries again until `signal` aborts, saying so once in the log.
 */
export async function openBackend(
  plugin: string,
  cfg: KvConfig,
  signal: AbortSignal,
  log: Logger,
): Promise<Backend> {
  const kind = backendKind(plugin, cfg);
  if (kind === 'memory') {
    try {
      return new MemoryBackend({ history: cfg.history, ...(cfg.file ? { file: cfg.file } : {}) });
    } catch (err) {
      throw configError(
        plugin,
        'file',
        `${cfg.file}: ${messageOf(err)}; give a writable path to a JSON file this store wrote, or none`,
      );
    }
  }
  const url = cfg.url ?? (kind === 'etcd' ? 'etcd://127.0.0.1:2379' : 'redis://127.0.0.1:6379');
  const connect =
    kind === 'etcd' ? () => openEtcd(plugin, cfg, url) : () => openRedis(plugin, cfg, url);
  for (let attempt = 1; ; attempt++) {
    try {
      return await connect();
    } catch (err) {
      if (err instanceof ConfigError || !cfg.waitForServer || signal.aborted) throw err;
      if (attempt === 1) log.warn(`${messageOf(err)}; waiting for it (waitForServer)`);
      await new Promise((r) => setTimeout(r, Math.min(100 * attempt, 1_000)));
    }
  }
}

async function openEtcd(plugin: string, cfg: KvConfig, url: string): Promise<Backend> {
  if (cfg.namespace.includes(':'))
    throw configError(
      plugin,
      'namespace',
      `"${cfg.namespace}" holds ":", which etcd keys use to end the namespace; leave it out`,
    );
  const etcd3 = await load(plugin, 'etcd3', () => import('etcd3'));
  const { EtcdBackend } = await import('./etcd.js');
  const scheme = url.startsWith('etcds:') ? 'https' : 'http';
  const hosts = url
    .replace(/^etcds?:\/\//, '')
    .split('/')[0]!
    .split(',')
    .map((h) => `${scheme}://${h.includes(':') ? h : `${h}:2379`}`);
  const backend = EtcdBackend.create(etcd3, {
    hosts,
    namespace: cfg.namespace,
    requestTimeout: cfg.requestTimeout,
  });
  try {
    await backend.ping();
  } catch (err) {
    await backend.close();
    throw unreachable(plugin, 'etcd', backend.where, err);
  }
  return backend;
}

async function openRedis(plugin: string, cfg: KvConfig, url: string): Promise<Backend> {
  const redis = await load(plugin, 'redis', () => import('redis'));
  const { RedisBackend } = await import('./redis.js');
  const where = `${new URL(url).hostname}:${new URL(url).port || '6379'}`;
  try {
    return await RedisBackend.connect(redis, {
      url,
      namespace: cfg.namespace,
      history: cfg.history,
      reapInterval: cfg.reapInterval,
      requestTimeout: cfg.requestTimeout,
    });
  } catch (err) {
    throw unreachable(plugin, 'redis', where, err);
  }
}

async function load<M>(plugin: string, name: string, importer: () => Promise<M>): Promise<M> {
  try {
    return await importer();
  } catch (err) {
    throw new ConfigError(plugin, [
      {
        plugin,
        setting: 'backend',
        source: 'code',
        message: `the ${name} backend needs the "${name}" package, which is not installed: npm install ${name}${err instanceof Error ? ` (${err.message})` : ''}`,
      },
    ]);
  }
}

function unreachable(plugin: string, kind: string, where: string, err: unknown): KvError {
  return new KvError(
    plugin,
    'unavailable',
    `cannot reach ${kind} at ${where}: ${messageOf(err)}`,
    'Start the server or correct the url setting; set waitForServer to wait for it',
    err,
  );
}

function configError(plugin: string, setting: string, message: string): ConfigError {
  return new ConfigError(plugin, [
    { plugin, setting, source: 'code', message: `${setting} ${message}` },
  ]);
}
