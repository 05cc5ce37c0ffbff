import { ConfigError } from '../errors.js';
import { envSegment } from '../config/names.js';
import { isLogLevel } from './logger.js';
import type { LogFormat, LogRegistry } from './registry.js';

const FORMATS: readonly string[] = ['auto', 'pretty', 'json'];

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
  if (format !== undefined && !FORMATS.includes(format)) {
    throw new ConfigError('agent', [
      {
        plugin: 'agent',
        setting: 'logFormat',
        source: options.format ? 'code' : `env ${prefix}_LOG_FORMAT`,
        message: `"${format}" is not one of ${FORMATS.join(', ')}`,
      },
    ]);
  }
  logs.configure({
    agent,
    level,
    format: format as LogFormat | undefined,
    stream: options.stream,
  });
}
