import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { listeningUrl, runTs } from '../../test/helpers/child.js';

it.each(['fastify', 'express'])(
  'greets over HTTP on engine %s, with probes and metrics, and exits by itself on SIGTERM',
  async (engine) => {
    const child = runTs(fileURLToPath(new URL('./main.ts', import.meta.url)), [], {
      FASTIFY_HELLO_HTTP_PORT: '0',
      FASTIFY_HELLO_HTTP_ENGINE: engine,
      FASTIFY_HELLO_LOG_FORMAT: 'json',
    });
    await child.waitFor(/started in/);
    const url = listeningUrl(child);
    expect(child.output()).toContain(`(${engine})`);
    const hello = await fetch(`${url}/hello?name=Ada`);
    expect(await hello.json()).toEqual({ message: 'Hello, Ada!' });
    expect(hello.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const traced = await fetch(`${url}/hello`, { headers: { 'x-request-id': 'req-1' } });
    expect(traced.headers.get('x-request-id')).toBe('req-1');
    expect((await fetch(`${url}/readiness`)).headers.get('x-request-id')).toBeNull();
    expect((await fetch(`${url}/readiness`)).status).toBe(200);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('http_requests_total{method="GET",route="/hello",status="200"} 2');
    child.proc.kill('SIGTERM');
    expect((await child.exited).code).toBe(0);
  },
);
