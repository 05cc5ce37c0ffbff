import { ConfigError, type InitContext, messageOf } from '../../src/index.js';
import type { BackendName, EventsConfig } from './config.js';
import { MemoryTransport } from './memory.js';
import type { Transport } from './transport.js';

const SCHEMES: Record<string, BackendName> = {
  'nats:': 'nats',
  'amqp:': 'rabbitmq',
  'amqps:': 'rabbitmq',
};

/** The backend a configuration asks for: the `backend` setting, else the URL's scheme, else memory. */
export function chooseBackend(cfg: EventsConfig, plugin: string): BackendName {
  const fromUrl = cfg.url === undefined ? undefined : SCHEMES[schemeOf(cfg.url)];
  if (cfg.url !== undefined && !fromUrl && cfg.backend !== 'nats') {
    throw configError(plugin, 'url', 'must start with nats://, amqp:// or amqps://');
  }
  const backend = cfg.backend ?? fromUrl ?? 'memory';
  if (backend !== 'memory' && cfg.url === undefined) {
    throw configError(plugin, 'url', `the ${backend} backend needs the broker's url`);
  }
  if (fromUrl && fromUrl !== backend) {
    throw configError(plugin, 'backend', `is ${backend} but the url is for ${fromUrl}`);
  }
  return backend;
}

/** Connects the chosen backend, importing its client library only now. */
export async function openTransport(cfg: EventsConfig, ctx: InitContext): Promise<Transport> {
  const backend = chooseBackend(cfg, ctx.name);
  if (backend === 'memory') {
    ctx.log.info('using the in-process memory backend: messages do not outlive the process');
    return new MemoryTransport();
  }
  const url = cfg.url!;
  const where = hostsOf(url);
  try {
    if (backend === 'nats') {
      const [core, js, { NatsTransport }] = await Promise.all([
        load(ctx.name, '@nats-io/transport-node', () => import('@nats-io/transport-node')),
        load(ctx.name, '@nats-io/jetstream', () => import('@nats-io/jetstream')),
        import('./nats.js'),
      ]);
      return await NatsTransport.open(
        { core, js },
        {
          url,
          prefix: cfg.prefix,
          connectTimeout: cfg.connectTimeout,
          ackWait: cfg.ackWait,
          maxAckPending: cfg.maxAckPending,
          partitions: cfg.partitions,
          name: `${ctx.agent.name}/${ctx.name}`,
        },
      );
    }
    const [amqp, { AmqpTransport }] = await Promise.all([
      load(ctx.name, 'amqplib', () => import('amqplib')),
      import('./amqp.js'),
    ]);
    return await AmqpTransport.open(amqp, {
      url,
      prefix: cfg.prefix,
      connectTimeout: cfg.connectTimeout,
      partitions: cfg.partitions,
      where,
    });
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new Error(
      `cannot reach the ${backend} broker at ${where}: ${redact(messageOf(err), url)}; ` +
        'check that it runs and the url setting',
      { cause: err },
    );
  }
}

async function load<T>(plugin: string, name: string, importer: () => Promise<T>): Promise<T> {
  try {
    return await importer();
  } catch (err) {
    const missing = (err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND';
    if (!missing) throw err;
    const all = name.startsWith('@nats-io/') ? '@nats-io/transport-node @nats-io/jetstream' : name;
    throw configError(plugin, 'backend', `needs the package ${name}: npm install ${all}`);
  }
}

function configError(plugin: string, setting: string, message: string): ConfigError {
  return new ConfigError(plugin, [{ plugin, setting, source: 'configuration', message }]);
}

function schemeOf(url: string): string {
  const at = url.indexOf('//');
  return at < 0 ? '' : url.slice(0, at).toLowerCase();
}

/** `host:port` of every server in the url, without credentials. */
export function hostsOf(url: string): string {
  return url
    .split(',')
    .map((part) => {
      const bare = part.replace(/^[a-z]+:\/\//i, '').replace(/^[^@/]*@/, '');
      return bare.split('/')[0]!;
    })
    .join(',');
}

function redact(text: string, url: string): string {
  const password = /^[a-z]+:\/\/[^:@/]*:([^@/]*)@/i.exec(url)?.[1];
  return password ? text.split(password).join('***') : text;
}
