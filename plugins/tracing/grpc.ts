import type { Metadata, ServerInterceptor } from '@grpc/grpc-js';
import type { Context, TextMapGetter, Tracer } from '@opentelemetry/api';

type Api = typeof import('@opentelemetry/api');
type Grpc = typeof import('@grpc/grpc-js');

/** Reads W3C trace headers from gRPC metadata. */
const metadataGetter: TextMapGetter<Metadata> = {
  keys: (metadata) => Object.keys(metadata.getMap()),
  get: (metadata, key) => {
    const [value] = metadata.get(key);
    return typeof value === 'string' ? value : undefined;
  },
};

/**
 * A server interceptor: a SERVER span per call (`package.Service/Method`),
 * child of the caller's `traceparent` metadata, active while the handler runs,
 * with the gRPC status code, ended when the call ends.
 */
export function traceCalls(api: Api, grpc: Grpc, tracer: Tracer): ServerInterceptor {
  return (method, call) => {
    const [, service = '', name = ''] = /^\/([^/]*)\/(.*)$/.exec(method.path) ?? [];
    let active: Context = api.ROOT_CONTEXT;
    let span: ReturnType<Tracer['startSpan']> | undefined;
    const end = (code: number) => {
      if (!span) return;
      span.setAttribute('rpc.grpc.status_code', code);
      if (code !== Number(grpc.status.OK)) span.setStatus({ code: api.SpanStatusCode.ERROR });
      span.end();
      span = undefined;
    };
    return new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, nextMetadata) => {
            const parent = api.propagation.extract(api.ROOT_CONTEXT, metadata, metadataGetter);
            span = tracer.startSpan(
              `${service}/${name}`,
              {
                kind: api.SpanKind.SERVER,
                attributes: { 'rpc.system': 'grpc', 'rpc.service': service, 'rpc.method': name },
              },
              parent,
            );
            active = api.trace.setSpan(parent, span);
            api.context.with(active, () => nextMetadata(metadata));
          },
          onReceiveMessage: (message, nextMessage) =>
            api.context.with(active, () => nextMessage(message)),
          onReceiveHalfClose: (nextHalfClose) => api.context.with(active, nextHalfClose),
          onCancel: () => end(grpc.status.CANCELLED),
        }),
      sendStatus: (status, nextStatus) => {
        end(status.code);
        nextStatus(status);
      },
    });
  };
}
