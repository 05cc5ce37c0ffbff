import type { Plugin } from '../../src/index.js';
import type { HttpHandlers } from '../http/index.js';
import type { OverallState, StatusReporter } from '../status-check/index.js';

const READY: ReadonlySet<OverallState> = new Set(['ok', 'degraded']);

/**
 * Kubernetes probes fed by the status check. `GET /readiness` is 200 when the
 * agent is ok or degraded, 503 while starting, stopping or in error.
 * `GET /liveness` is 503 only when the agent is in error. Both answer with the
 * agent's and each plugin's state.
 */
export class ProbePlugin implements Plugin {
  deps!: { http: HttpHandlers; status: StatusReporter };

  init(): void {
    const { http, status } = this.deps;
    http.get('/readiness', (_req, res) => {
      const health = status.agentStatus();
      res.status(READY.has(health.state) ? 200 : 503).json(health);
    });
    http.get('/liveness', (_req, res) => {
      const health = status.agentStatus();
      res.status(health.state === 'error' ? 503 : 200).json(health);
    });
  }
}
