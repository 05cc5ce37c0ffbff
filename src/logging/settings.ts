import { ConfigError } from '../errors.js';
import { envSegment } from '../config/names.js';
import { isLogLevel } from './logger.js';
import type { LogFormat, LogRegistry } from './registry.js';

/** Log settings given to an agent in code. */
export interface AgentLogOptions {
  level?: string | undefined;
  format?: LogFormat | undefined;
  stream?: NodeJS.WritableStream | undefined;
}

/**
 * Configures an agent's registry: level and format from code, else from
 * `{AGENT}_LOG_LEVEL` and `{AGENT}_LOG_FORMAT`. An unknown level is a `ConfigError`.
 */
export function configureFromEnv(
  logs: LogRegistry,
  agent: string,
  env: Record<string, string | undefined>,
  options: AgentLogOptions = {},
): void {
  const prefix = envSegment(agent);
  const level = options.level ?? env[`${prefix}_LOG_LEVEL`];
  const format = options.format ?? env[`${prefix}_LOG_FORMAT`];
  if (level !== undefined && !isLogLevel(level)) {
    throw new ConfigError('agent', [
      {
        plugin: 'agent',
        setting: 'logLevel',
        source: options.level ? 'code' : `env ${prefix}_LOG_LEVEL`,
        message: `"${level}" is not one of error, warn, info, debug`,
      },
    ]);
  }
  logs.configure({
    agent,
    level,
    format: format === 'json' || format === 'pretty' ? format : undefined,
    stream: options.stream,
  });
}
