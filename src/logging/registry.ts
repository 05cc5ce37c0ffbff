import type { Logger as Winston } from 'winston';
import { jsonFormat, prettyFormat } from './format.js';
import { LOG_LEVELS, type LogFields, type Logger, type LogLevel } from './logger.js';
import { winston } from './winston.js';

/** How a registry writes: `auto` is pretty on a TTY and JSON otherwise. */
export type LogFormat = 'auto' | 'pretty' | 'json';

/** Settings of a `LogRegistry`; each can be changed later with `configure`. */
export interface LogRegistryOptions {
  /** Agent name written on every line. */
  agent?: string | undefined;
  /** Level of loggers without their own. */
  level?: LogLevel | undefined;
  /** Level per logger name. */
  levels?: Record<string, LogLevel>;
  format?: LogFormat | undefined;
  /** Where lines go; default: standard output. */
  stream?: NodeJS.WritableStream | undefined;
}

/** A line as observers of the registry see it (written lines only). */
export interface LogLineEvent {
  level: LogLevel;
  logger: string;
  message: string;
}

/** A logger's name and its effective level. */
export interface LoggerInfo {
  name: string;
  level: LogLevel;
}

/**
 * Named loggers backed by winston, with a level per logger that can change at run
 * time. Loggers can be handed out before the registry is configured; winston is
 * loaded and set up when the first line is written.
 */
export class LogRegistry {
  private agent = 'agent';
  private defaultLevel: LogLevel = 'info';
  private readonly levels = new Map<string, LogLevel>();
  private readonly loggers = new Map<string, Logger>();
  /** Made on the first line written after a change of format or stream. */
  private output: Winston | undefined;
  private stream: NodeJS.WritableStream = process.stdout;
  private format: LogFormat = 'auto';
  private readonly observers = new Set<(line: LogLineEvent) => void>();

  constructor(options: LogRegistryOptions = {}) {
    this.configure(options);
  }

  /** Changes the registry's settings; loggers already handed out follow. */
  configure(options: LogRegistryOptions): void {
    if (options.agent) this.agent = options.agent;
    if (options.level) this.defaultLevel = options.level;
    for (const [name, level] of Object.entries(options.levels ?? {})) this.levels.set(name, level);
    if (options.format || options.stream) {
      this.stream = options.stream ?? this.stream;
      this.format = options.format ?? this.format;
      this.output = undefined;
    }
  }

  /** The logger called `name`, created on first use. */
  logger(name: string): Logger {
    let logger = this.loggers.get(name);
    if (!logger) {
      const write = (level: LogLevel) => (message: string, fields?: LogFields) => {
        if (this.enabled(name, level)) {
          this.winstonLogger().log({ ...fields, level, message, agent: this.agent, logger: name });
          for (const observer of this.observers) observer({ level, logger: name, message });
        }
      };
      logger = {
        name,
        error: write('error'),
        warn: write('warn'),
        info: write('info'),
        debug: write('debug'),
      };
      this.loggers.set(name, logger);
    }
    return logger;
  }

  /** The winston logger writing to the stream in the format set, made on first use. */
  private winstonLogger(): Winston {
    if (!this.output) {
      const { createLogger, transports } = winston();
      const tty = (this.stream as { isTTY?: boolean }).isTTY === true;
      const pretty = this.format === 'pretty' || (this.format === 'auto' && tty);
      this.output = createLogger({
        level: 'debug',
        levels: Object.fromEntries(LOG_LEVELS.map((l, i) => [l, i])),
        format: pretty ? prettyFormat(tty) : jsonFormat(),
        transports: [new transports.Stream({ stream: this.stream })],
      });
    }
    return this.output;
  }

  /** Observes every line written, e.g. to keep recent ones; returns an unsubscribe function. */
  onLine(observer: (line: LogLineEvent) => void): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  /** Sets the level of one logger, or of all without their own when `name` is `*`. */
  setLevel(name: string, level: LogLevel): void {
    if (name === '*') this.defaultLevel = level;
    else this.levels.set(name, level);
  }

  /** The effective level of a logger. */
  levelOf(name: string): LogLevel {
    return this.levels.get(name) ?? this.defaultLevel;
  }

  /** Every logger handed out or given a level, by name. */
  list(): LoggerInfo[] {
    const names = new Set([...this.loggers.keys(), ...this.levels.keys()]);
    return [...names].sort().map((name) => ({ name, level: this.levelOf(name) }));
  }

  /** True when a line of `level` from logger `name` would be written. */
  enabled(name: string, level: LogLevel): boolean {
    return LOG_LEVELS.indexOf(level) <= LOG_LEVELS.indexOf(this.levelOf(name));
  }
}
