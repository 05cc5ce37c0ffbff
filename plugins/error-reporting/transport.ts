import { request as httpRequest, type ClientRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** The parts of `@sentry/node` the transport uses. */
export interface TransportKit {
  createTransport: typeof import('@sentry/node').createTransport;
}

type TransportFactory = ConstructorParameters<
  typeof import('@sentry/node').NodeClient
>[0]['transport'];

/**
 * A Sentry transport over plain Node HTTP(S): no keep-alive socket, each send
 * bounded by `timeoutMs`, and every send still running cut off by `abortAll()`,
 * so a slow endpoint never holds the stop. Rate limits (429, `Retry-After`,
 * `X-Sentry-Rate-Limits`) are kept by the SDK's transport base.
 */
export function abortableTransport(
  kit: TransportKit,
  timeoutMs: number,
): { transport: TransportFactory; abortAll: () => void } {
  const inflight = new Set<ClientRequest>();
  const transport: TransportFactory = (options) =>
    kit.createTransport(
      options,
      (envelope) =>
        new Promise((resolve, reject) => {
          const url = new URL(options.url);
          const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
          const req = send(url, { method: 'POST', agent: false, timeout: timeoutMs }, (res) => {
            res.resume();
            const header = (name: string) => {
              const value = res.headers[name];
              return typeof value === 'string' ? value : null;
            };
            resolve({
              statusCode: res.statusCode ?? 0,
              headers: {
                'retry-after': header('retry-after'),
                'x-sentry-rate-limits': header('x-sentry-rate-limits'),
              },
            });
          });
          inflight.add(req);
          req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
          req.on('error', reject);
          req.on('close', () => inflight.delete(req));
          req.end(envelope.body);
        }),
    );
  return {
    transport,
    abortAll() {
      for (const req of inflight) req.destroy(new Error('stopping'));
    },
  };
}
