import type { RedisClientOptions } from 'redis';
import { ConfigError, envName } from '../../src/index.js';
import type { RedisConfig } from './config.js';

/** Where the server is: `host:port` for messages, options for node-redis, secrets to scrub. */
export interface RedisTarget {
  address: string;
  options: RedisClientOptions;
  secrets: string[];
}

/**
 * The server a configuration names. With neither `url` nor `host` there is no
 * embedded Redis to fall back on: a `ConfigError` says which variable to set.
 */
export function redisTarget(agent: string, plugin: string, cfg: RedisConfig): RedisTarget {
  const issue = (setting: string, source: string, message: string) =>
    new ConfigError(plugin, [{ plugin, setting, source, message }]);
  const options: RedisClientOptions = { database: cfg.db };
  if (cfg.password !== undefined) options.password = cfg.password;
  const secrets = cfg.password ? [cfg.password] : [];
  if (cfg.url) {
    let url: URL;
    try {
      url = new URL(cfg.url);
    } catch {
      throw issue('url', 'configuration', 'is not a URL; expected redis://host:port');
    }
    if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
      throw issue(
        'url',
        'configuration',
        `has scheme "${url.protocol}"; expected redis:// or rediss://`,
      );
    }
    options.url = cfg.url;
    const address = `${url.hostname || 'localhost'}:${url.port || '6379'}`;
    return {
      address,
      options,
      secrets: [cfg.url, decodeURIComponent(url.password), ...secrets].filter(Boolean),
    };
  }
  if (!cfg.host) {
    throw issue(
      'url',
      'default',
      `is not set, and Redis has no embedded default: set ${envName(agent, plugin, 'url')}=redis://host:6379 (or ${envName(agent, plugin, 'host')}), or mark the plugin optional with @Plug({ optional: true }) to run without it`,
    );
  }
  options.socket = cfg.tls
    ? { host: cfg.host, port: cfg.port, tls: true }
    : { host: cfg.host, port: cfg.port };
  return { address: `${cfg.host}:${cfg.port}`, options, secrets };
}
