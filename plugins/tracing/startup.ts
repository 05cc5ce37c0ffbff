import type { Span, Tracer } from '@opentelemetry/api';
import type { AgentView } from '../../src/index.js';

type Api = typeof import('@opentelemetry/api');

/** Wall-clock ms now, with sub-ms precision. */
const now = () => performance.timeOrigin + performance.now();

/**
 * A trace of the start-up: a root span for the agent's start and a child span
 * per plugin call (`init db`, `afterInit http`, ...). Calls that ran before the
 * tracing plugin are drawn from their recorded durations. Returns a function
 * that stops listening.
 */
export function traceStartup(api: Api, tracer: Tracer, agent: AgentView): () => void {
  const earlier = agent.plugins.filter((p) => p.timings.init !== undefined);
  let cursor = now() - earlier.reduce((sum, p) => sum + p.timings.init!, 0);
  const root = tracer.startSpan(`start ${agent.name}`, {
    startTime: cursor,
    attributes: { 'flavorkit.agent': agent.name },
  });
  const parent = api.trace.setSpan(api.context.active(), root);
  const child = (plugin: string, phase: string, startTime: number) =>
    tracer.startSpan(
      `${phase} ${plugin}`,
      { startTime, attributes: { 'flavorkit.plugin': plugin, 'flavorkit.phase': phase } },
      parent,
    );
  for (const p of earlier) {
    const span = child(p.name, 'init', cursor);
    cursor += p.timings.init!;
    span.end(cursor);
  }
  const open = new Map<string, Span>();
  const offs = [
    agent.on('phaseBegin', ({ plugin, phase }) => {
      if (phase === 'init' || phase === 'afterInit')
        open.set(`${phase} ${plugin}`, child(plugin, phase, now()));
    }),
    agent.on('phaseEnd', ({ plugin, phase, error }) => {
      const span = open.get(`${phase} ${plugin}`);
      if (!span) return;
      open.delete(`${phase} ${plugin}`);
      if (error) span.setStatus({ code: api.SpanStatusCode.ERROR, message: error.message });
      span.end();
    }),
    agent.on('started', ({ degraded }) => {
      root.setAttribute('flavorkit.degraded', degraded);
      finish();
    }),
    agent.on('startFailed', ({ error }) => {
      root.setStatus({ code: api.SpanStatusCode.ERROR, message: error.message });
      finish();
    }),
  ];
  let done = false;
  function finish(): void {
    if (done) return;
    done = true;
    for (const span of open.values()) span.end();
    open.clear();
    root.end();
    for (const off of offs) off();
  }
  return finish;
}
