import type { Plugin } from '../../src/index.js';
import type { Routes } from '../http/index.js';
import type { OverallState, StatusReporter } from '../status-check/index.js';

const READY: ReadonlySet<OverallState> = new Set(['ok', 'degraded']);

/**
 * Kubernetes probes fed by the status check. `GET /readiness` is 200 when the
 * agent is ok or degraded, 503 while starting, stopping or in error.
 * `GET /liveness` is 503 only when the agent is in error. Both answer with the
 * agent's and each plugin's state.
 */
export class ProbePlugin implements Plugin {
  deps!: { http: Routes; status: StatusReporter };

  init(): void {
    const { http, status } = this.deps;
    http.route('GET', '/readiness', (_req, reply) => {
      const health = status.agentStatus();
      reply.status(READY.has(health.state) ? 200 : 503).json(health);
    });
    http.route('GET', '/liveness', (_req, reply) => {
      const health = status.agentStatus();
      reply.status(health.state === 'error' ? 503 : 200).json(health);
    });
  }
}
