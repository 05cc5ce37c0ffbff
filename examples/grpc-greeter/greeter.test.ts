import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { SignJWT } from 'jose';
import { expect, it } from 'vitest';
import { call, codeOf, healthClient } from '../../test/helpers/grpc.js';
import { listeningUrl, runTs } from '../../test/helpers/child.js';

const SECRET = 'example-secret-that-is-long-enough-for-hs256';
const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';

it('greets over gRPC and HTTP with a JWT, answers health, keeps traces, and exits on SIGTERM', async () => {
  const child = runTs(fileURLToPath(new URL('./main.ts', import.meta.url)), [], {
    GREETER_HTTP_PORT: '0',
    GREETER_GRPC_PORT: '0',
    GREETER_AUTH_SECRET: SECRET,
    GREETER_HTTP_ADMIN_TOKEN: 'static-admin-token',
    GREETER_LOG_FORMAT: 'json',
  });
  await child.waitFor(/started in/);
  const http = listeningUrl(child);
  const target = /gRPC listening on (127\.0\.0\.1:\d+)/.exec(child.output())![1]!;
  const token = (roles: string[]) =>
    new SignJWT({ sub: 'ada', roles })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(SECRET));

  const definition = protoLoader.loadSync(
    fileURLToPath(new URL('./greeter.proto', import.meta.url)),
  );
  const Greeter = (
    grpc.loadPackageDefinition(definition) as unknown as {
      greeter: { Greeter: typeof grpc.Client };
    }
  ).greeter.Greeter;
  const client = new Greeter(target, grpc.credentials.createInsecure()) as grpc.Client & {
    SayHello: Parameters<typeof call>[0];
  };
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${await token(['greeter'])}`);
  metadata.set('traceparent', `00-${TRACE_ID}-b7ad6b7169203331-01`);
  expect(await call(client.SayHello, client, { name: 'Ada' }, { metadata })).toEqual({
    message: 'Hello, Ada! (asked by ada)',
  });
  expect(await codeOf(call(client.SayHello, client, { name: 'Eve' }))).toBe(
    grpc.status.UNAUTHENTICATED,
  );
  client.close();

  const health = healthClient(target);
  const status = await new Promise((resolve, reject) =>
    health.Check({ service: 'greeter.Greeter' }, (err, reply) =>
      err ? reject(err) : resolve(reply!.status),
    ),
  );
  health.close();
  expect(status).toBe('SERVING');

  const hello = await fetch(`${http}/api/hello?name=Bo`, {
    headers: { authorization: `Bearer ${await token(['greeter'])}` },
  });
  expect(await hello.json()).toEqual({ message: 'Hello, Bo! (asked by ada)' });
  expect((await fetch(`${http}/api/hello`)).status).toBe(401);

  const traces = await fetch(`${http}/traces`, {
    headers: { authorization: `Bearer ${await token(['admin'])}` },
  });
  expect(await traces.json()).toContainEqual({
    name: 'greeter.Greeter/SayHello',
    traceId: TRACE_ID,
  });

  child.proc.kill('SIGTERM');
  const { code } = await child.exited;
  expect(code).toBe(0);
  expect(child.output()).toMatch(/stopped in/);
});
