import type { Tracer } from '@opentelemetry/api';
import type { RequestHandler } from 'express';

type Api = typeof import('@opentelemetry/api');

/**
 * Express middleware: a SERVER span per request, child of the caller's W3C
 * `traceparent` when there is one, active while the route runs, named after the
 * route template once it is known, ended when the response is done.
 */
export function traceRequests(api: Api, tracer: Tracer): RequestHandler {
  return (req, res, next) => {
    const parent = api.propagation.extract(api.ROOT_CONTEXT, req.headers);
    const span = tracer.startSpan(
      `${req.method}`,
      {
        kind: api.SpanKind.SERVER,
        attributes: {
          'http.request.method': req.method,
          'url.path': req.originalUrl.split('?')[0],
        },
      },
      parent,
    );
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      const route = req.route ? req.baseUrl + (req.route as { path: string }).path : undefined;
      if (route) {
        span.updateName(`${req.method} ${route}`);
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
