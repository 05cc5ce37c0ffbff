import type { Logform } from 'winston';
import { winston } from './winston.js';

const COLORS: Record<string, string> = {
  error: '\x1b[31m',
  warn: '\x1b[33m',
  info: '\x1b[32m',
  debug: '\x1b[90m',
};
const RESET = '\x1b[0m';

/** One JSON object per line, with timestamp, level, agent, logger and message. */
export function jsonFormat(): Logform.Format {
  const { format } = winston();
  return format.combine(format.timestamp(), format.json());
}

/** A human-friendly line: time, level, `agent/logger`, message and fields. */
export function prettyFormat(colors: boolean): Logform.Format {
  return winston().format.printf((info) => {
    const { level, message, agent, logger, ...fields } = info as Logform.TransformableInfo & {
      agent: string;
      logger: string;
    };
    const time = new Date().toISOString().slice(11, 23);
    const tag = colors ? `${COLORS[level] ?? ''}${level.padEnd(5)}${RESET}` : level.padEnd(5);
    const extra = Object.entries(fields)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    return `${time} ${tag} [${agent}/${logger}] ${String(message)}${extra ? ` ${extra}` : ''}`;
  });
}
