import {
  ConfigError,
  type InitContext,
  IsIn,
  IsObject,
  IsOptional,
  LOG_LEVELS,
  type Logger,
  type LoggerInfo,
  type LogLevel,
  LogRegistry,
  type Plugin,
  Setting,
} from '../../src/index.js';

/** What dependents see of the log registry. */
export interface LogRegistryView {
  logger(name: string): Logger;
  setLevel(name: string, level: LogLevel): void;
  list(): LoggerInfo[];
}

/** Settings of the `logs` plugin. */
export class LogsConfig {
  @Setting({ description: 'level of loggers without their own (error, warn, info, debug)' })
  @IsOptional()
  @IsIn(LOG_LEVELS)
  level?: LogLevel | undefined;

  @Setting({ description: 'level per logger name, e.g. {"http":"debug"}' })
  @IsObject()
  levels: Record<string, LogLevel> = {};

  @Setting({ description: 'auto (pretty on a TTY, else JSON), pretty or json' })
  @IsOptional()
  @IsIn(['auto', 'pretty', 'json'])
  format?: 'auto' | 'pretty' | 'json' | undefined;
}

/**
 * The agent's named loggers as a plugin. An agent whose flavor holds one logs
 * through it, so `logs.setLevel()` also tunes every plugin's `ctx.log`.
 */
export class LogsPlugin extends LogRegistry implements Plugin, LogRegistryView {
  static readonly configClass = LogsConfig;

  init(ctx: InitContext): void {
    const cfg = ctx.config(LogsConfig);
    const bad = Object.entries(cfg.levels).find(([, level]) => !LOG_LEVELS.includes(level));
    if (bad) {
      throw new ConfigError(ctx.name, [
        {
          plugin: ctx.name,
          setting: `levels.${bad[0]}`,
          source: 'configuration',
          message: `"${String(bad[1])}" is not one of ${LOG_LEVELS.join(', ')}`,
        },
      ]);
    }
    this.configure({ level: cfg.level, levels: cfg.levels, format: cfg.format });
  }
}
