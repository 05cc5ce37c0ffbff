import type { Tracer } from '@opentelemetry/api';
import type { InMemorySpanExporter, ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { importPeer, type InitContext, type Plugin } from '../../src/index.js';
import type { GrpcServices } from '../grpc/index.js';
import type { HttpHandlers } from '../http/index.js';
import { TracingConfig } from './config.js';
import { traceCalls } from './grpc.js';
import { traceRequests } from './http.js';
import { traceStartup } from './startup.js';

export { TracingConfig } from './config.js';

/** What applications use of the tracing plugin. */
export interface Tracing {
  /** True when tracing is on. */
  readonly enabled: boolean;
  /** A tracer for own spans; a no-op tracer when tracing is off. */
  tracer(name?: string): Tracer;
  /** The finished spans kept by the memory exporter (empty with other exporters or when off). */
  finishedSpans(): ReadableSpan[];
}

/**
 * OpenTelemetry tracing, off by default (then it loads nothing and adds
 * nothing). When on: a trace of the start-up with a span per plugin call, a
 * SERVER span per HTTP request (for routes registered after this plugin's
 * init) and per gRPC call, W3C `traceparent` propagation, and the active
 * context available to user code through `@opentelemetry/api`.
 */
export class TracingPlugin implements Plugin, Tracing {
  static readonly configClass = TracingConfig;
  deps: { http?: HttpHandlers; grpc?: GrpcServices } = {};
  enabled = false;
  private api?: typeof import('@opentelemetry/api');
  private provider?: NodeTracerProvider | undefined;
  private memory?: InMemorySpanExporter;
  private stopStartup?: () => void;

  async init(ctx: InitContext): Promise<void> {
    const config = ctx.config(TracingConfig);
    if (!config.enabled) return;
    const load = <T>(pkg: string, fn: () => Promise<T>) => importPeer(ctx.name, pkg, fn);
    const api = (this.api = await load('@opentelemetry/api', () => import('@opentelemetry/api')));
    const { NodeTracerProvider } = await load(
      '@opentelemetry/sdk-trace-node',
      () => import('@opentelemetry/sdk-trace-node'),
    );
    const base = await load(
      '@opentelemetry/sdk-trace-base',
      () => import('@opentelemetry/sdk-trace-base'),
    );
    const { W3CTraceContextPropagator } = await load(
      '@opentelemetry/core',
      () => import('@opentelemetry/core'),
    );
    const { resourceFromAttributes } = await load(
      '@opentelemetry/resources',
      () => import('@opentelemetry/resources'),
    );
    let processor;
    if (config.exporter === 'memory') {
      this.memory = new base.InMemorySpanExporter();
      processor = new base.SimpleSpanProcessor(this.memory);
    } else {
      const { OTLPTraceExporter } = await load(
        '@opentelemetry/exporter-trace-otlp-http',
        () => import('@opentelemetry/exporter-trace-otlp-http'),
      );
      processor = new base.BatchSpanProcessor(
        new OTLPTraceExporter({ url: config.url, timeoutMillis: 5_000 }),
      );
    }
    this.provider = new NodeTracerProvider({
      resource: resourceFromAttributes({ 'service.name': config.serviceName ?? ctx.agent.label }),
      sampler: new base.ParentBasedSampler({
        root: new base.TraceIdRatioBasedSampler(config.sampleRatio),
      }),
      spanProcessors: [processor],
    });
    this.provider.register({ propagator: new W3CTraceContextPropagator() });
    this.enabled = true;
    const tracer = this.tracer();
    this.stopStartup = traceStartup(api, tracer, ctx.agent);
    this.deps.http?.hook(traceRequests(api, tracer));
    if (this.deps.grpc) {
      const grpc = await load('@grpc/grpc-js', () => import('@grpc/grpc-js'));
      this.deps.grpc.addInterceptor(traceCalls(api, grpc, tracer));
    }
    ctx.log.info(
      `tracing on: ${config.exporter === 'memory' ? 'spans kept in memory' : `OTLP to ${config.url}`}`,
    );
  }

  /** Sends what is still buffered, then takes the global tracer provider, propagator and context away. */
  async close(): Promise<void> {
    this.stopStartup?.();
    const provider = this.provider;
    if (!provider || !this.api) return;
    this.provider = undefined;
    this.enabled = false;
    try {
      await provider.shutdown();
    } finally {
      this.api.trace.disable();
      this.api.propagation.disable();
      this.api.context.disable();
    }
  }

  tracer(name = 'flavorkit'): Tracer {
    if (!this.api) return NOOP_TRACER;
    return this.api.trace.getTracer(name);
  }

  finishedSpans(): ReadableSpan[] {
    return this.memory?.getFinishedSpans() ?? [];
  }
}

/** What `tracer()` gives when tracing is off: spans that record nothing, without loading OpenTelemetry. */
const NOOP_SPAN = {
  spanContext: () => ({
    traceId: '00000000000000000000000000000000',
    spanId: '0000000000000000',
    traceFlags: 0,
  }),
  setAttribute: () => NOOP_SPAN,
  setAttributes: () => NOOP_SPAN,
  addEvent: () => NOOP_SPAN,
  addLink: () => NOOP_SPAN,
  addLinks: () => NOOP_SPAN,
  setStatus: () => NOOP_SPAN,
  updateName: () => NOOP_SPAN,
  end: () => undefined,
  isRecording: () => false,
  recordException: () => undefined,
};
const NOOP_TRACER = {
  startSpan: () => NOOP_SPAN,
  startActiveSpan: (_name: string, ...rest: unknown[]) =>
    (rest[rest.length - 1] as (span: unknown) => unknown)(NOOP_SPAN),
} as unknown as Tracer;
