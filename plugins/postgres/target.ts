import type { ClientConfig } from 'pg';
import { ConfigError } from '../../src/index.js';
import type { PostgresConfig } from './config.js';

/** Where a server is and how to reach it; `undefined` from `serverTarget` means embedded. */
export interface ServerTarget {
  /** `host:port`, for messages. */
  address: string;
  /** `PostgreSQL at host:port/database`, for logs. */
  description: string;
  /** What `pg` connects with; holds the password. */
  connection: ClientConfig;
  /** Strings that must never appear in a message: the password and the URL. */
  secrets: string[];
}

/** The server a configuration names, or `undefined` when it names none (embedded PGlite). */
export function serverTarget(plugin: string, cfg: PostgresConfig): ServerTarget | undefined {
  if (cfg.url) {
    let url: URL;
    try {
      url = new URL(cfg.url);
    } catch {
      throw badUrl(plugin, 'is not a URL; expected postgres://user:password@host:port/database');
    }
    if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
      throw badUrl(plugin, `has scheme "${url.protocol}"; expected postgres:// or postgresql://`);
    }
    const host = url.hostname || 'localhost';
    const port = url.port || '5432';
    const database = decodeURIComponent(url.pathname.slice(1));
    const password = decodeURIComponent(url.password);
    return {
      address: `${host}:${port}`,
      description: `PostgreSQL at ${host}:${port}/${database}`,
      connection: { connectionString: cfg.url },
      secrets: [cfg.url, password, cfg.password ?? ''].filter(Boolean),
    };
  }
  if (!cfg.host) return undefined;
  const connection: ClientConfig = { host: cfg.host, port: cfg.port };
  if (cfg.user !== undefined) connection.user = cfg.user;
  if (cfg.password !== undefined) connection.password = cfg.password;
  if (cfg.database !== undefined) connection.database = cfg.database;
  return {
    address: `${cfg.host}:${cfg.port}`,
    description: `PostgreSQL at ${cfg.host}:${cfg.port}/${cfg.database ?? cfg.user ?? ''}`,
    connection,
    secrets: cfg.password ? [cfg.password] : [],
  };
}

/** `text` with every secret replaced by `***`. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('***');
  return out;
}

function badUrl(plugin: string, message: string): ConfigError {
  return new ConfigError(plugin, [{ plugin, setting: 'url', source: 'configuration', message }]);
}
