import type { Registry } from 'prom-client';
import { AGENT_STATES, PLUGIN_STATES } from '../../src/index.js';
import type { AgentView, InitContext, Plugin } from '../../src/index.js';
import type { HttpHandlers } from '../http/index.js';
import { promClient } from './client.js';
import { RequestMetrics } from './requests.js';

/** What dependents use to add their own metrics: `new Counter({ ..., registers: [metrics.registry] })`. */
export interface Metrics {
  readonly registry: Registry;
}

/**
 * `GET /metrics` in the Prometheus text format: Node process metrics, HTTP
 * requests by method, route template and status, and the agent's own figures.
 * Each instance has its own registry; nothing is global.
 */
export class PrometheusPlugin implements Plugin, Metrics {
  readonly registry: Registry = new promClient.Registry();
  deps!: { http: Pick<HttpHandlers, 'route' | 'onRequest'> };
  private unsubscribe?: () => void;

  init(ctx: InitContext): void {
    promClient.collectDefaultMetrics({ register: this.registry });
    const requests = new RequestMetrics();
    requests.register(this.registry);
    this.unsubscribe = this.deps.http.onRequest(({ method, route, status, durationMs }) =>
      requests.observe(method, route, status, durationMs / 1000),
    );
    agentMetrics(ctx.agent, this.registry);
    this.deps.http.route('GET', '/metrics', async (_req, reply) => {
      reply.send(await this.registry.metrics(), this.registry.contentType);
    });
  }

  close(): void {
    this.unsubscribe?.();
    this.registry.clear();
  }
}

/** Gauges read from the agent at scrape time: init durations, plugin states, agent state. */
function agentMetrics(agent: AgentView, registry: Registry): void {
  new promClient.Gauge({
    name: 'flavorkit_plugin_init_seconds',
    help: 'Time each plugin spent in init',
    labelNames: ['plugin'],
    registers: [registry],
    collect() {
      this.reset();
      for (const p of agent.plugins) {
        if (p.timings.init !== undefined) this.set({ plugin: p.name }, p.timings.init / 1000);
      }
    },
  });
  new promClient.Gauge({
    name: 'flavorkit_plugin_state',
    help: 'Lifecycle state of each plugin (1 for the current state)',
    labelNames: ['plugin', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const p of agent.plugins) {
        for (const state of PLUGIN_STATES)
          this.set({ plugin: p.name, state }, p.state === state ? 1 : 0);
      }
    },
  });
  new promClient.Gauge({
    name: 'flavorkit_agent_state',
    help: 'State of the agent (1 for the current state)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const current = agent.status().state;
      for (const state of AGENT_STATES) this.set({ state }, current === state ? 1 : 0);
    },
  });
}
