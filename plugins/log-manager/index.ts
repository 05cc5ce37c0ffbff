import { isLogLevel, LOG_LEVELS, type Plugin } from '../../src/index.js';
import type { Routes } from '../http/index.js';
import type { LogRegistryView } from '../logs/index.js';

/** `GET /log/list` and `PUT /log/:logger/:level` over the log registry, as admin routes. */
export class LogManagerPlugin implements Plugin {
  deps!: { http: Routes; logs: LogRegistryView };

  init(): void {
    const { http, logs } = this.deps;
    http.route('GET', '/log/list', (_req, reply) => reply.json(logs.list()), { admin: true });
    http.route(
      'PUT',
      '/log/:logger/:level',
      (req, reply) => {
        const { logger, level } = req.params as { logger: string; level: string };
        if (!isLogLevel(level)) {
          reply.status(400).json({ error: `"${level}" is not one of ${LOG_LEVELS.join(', ')}` });
          return;
        }
        if (!logs.list().some((l) => l.name === logger)) {
          reply
            .status(404)
            .json({ error: `no logger "${logger}"; GET /log/list names the loggers there are` });
          return;
        }
        logs.setLevel(logger, level);
        reply.json({ logger, level });
      },
      { admin: true },
    );
  }
}
