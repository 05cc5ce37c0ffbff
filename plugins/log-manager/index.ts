import { isLogLevel, LOG_LEVELS, type Plugin } from '../../src/index.js';
import type { HttpHandlers } from '../http/index.js';
import type { LogRegistryView } from '../logs/index.js';

/** `GET /log/list` and `PUT /log/:logger/:level` over the log registry, as admin routes. */
export class LogManagerPlugin implements Plugin {
  deps!: { http: HttpHandlers; logs: LogRegistryView };

  init(): void {
    const { http, logs } = this.deps;
    http.admin.get('/log/list', (_req, res) => {
      res.json(logs.list());
    });
    http.admin.put('/log/:logger/:level', (req, res) => {
      const { logger, level } = req.params as { logger: string; level: string };
      if (!isLogLevel(level)) {
        res.status(400).json({ error: `"${level}" is not one of ${LOG_LEVELS.join(', ')}` });
        return;
      }
      if (!logs.list().some((l) => l.name === logger)) {
        res
          .status(404)
          .json({ error: `no logger "${logger}"; GET /log/list names the loggers there are` });
        return;
      }
      logs.setLevel(logger, level);
      res.json({ logger, level });
    });
  }
}
