import type { Tracer } from '@opentelemetry/api';
import { type HookHandler, pathOf } from '../http/neutral.js';

type Api = typeof import('@opentelemetry/api');

/**
 * An HTTP hook (either engine): a SERVER span per request, child of the
 * caller's W3C `traceparent` when there is one, active while the route runs,
 * named after the route template once it is known, ended when the response is done.
 */
export function traceRequests(api: Api, tracer: Tracer): HookHandler {
  return (req, reply, next) => {
    const parent = api.propagation.extract(api.ROOT_CONTEXT, req.headers);
    const method = req.method;
    const span = tracer.startSpan(
      method,
      {
        kind: api.SpanKind.SERVER,
        attributes: { 'http.request.method': method, 'url.path': pathOf(req.url) },
      },
      parent,
    );
    const res = reply.raw;
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      const route = req.route();
      if (route) {
        span.updateName(`${method} ${route}`);
        span.setAttribute('http.route', route);
      }
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: api.SpanStatusCode.ERROR });
      span.end();
    };
    res.once('finish', end);
    res.once('close', end);
    api.context.with(api.trace.setSpan(parent, span), next);
  };
}
