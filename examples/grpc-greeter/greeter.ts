import { fileURLToPath } from 'node:url';
import type { sendUnaryData, ServerUnaryCall, ServiceDefinition } from '@grpc/grpc-js';
import type { InitContext, Plugin } from 'flavorkit';
import type { HttpHandlers } from 'flavorkit/plugins/http';
import type { Authenticator } from 'flavorkit/plugins/auth';
import type { GrpcServices } from 'flavorkit/plugins/grpc';
import type { Tracing } from 'flavorkit/plugins/tracing';

type Hello = { name: string };
type Reply = { message: string };

const PROTO = fileURLToPath(new URL('./greeter.proto', import.meta.url));

/** The same greeting over gRPC (`greeter.Greeter/SayHello`) and HTTP (`GET /api/hello`). */
export class GreeterPlugin implements Plugin {
  deps!: { grpc: GrpcServices; http: HttpHandlers; auth: Authenticator; tracing: Tracing };

  async init(_ctx: InitContext): Promise<void> {
    const { grpc, http, auth, tracing } = this.deps;
    const greet = (name: string, caller: unknown) =>
      `Hello, ${name || 'world'}! (asked by ${String(caller ?? 'someone')})`;

    const pkg = (await grpc.loadProto(PROTO)) as unknown as {
      greeter: { Greeter: { service: ServiceDefinition } };
    };
    grpc.addService(pkg.greeter.Greeter.service, {
      SayHello: (call: ServerUnaryCall<Hello, Reply>, reply: sendUnaryData<Reply>) => {
        reply(null, { message: greet(call.request.name, auth.claimsOf(call.metadata)?.sub) });
      },
    });

    const api = http.router('/api');
    api.use(auth.middleware);
    api.get('/hello', (req, res) => {
      const name = typeof req.query.name === 'string' ? req.query.name : '';
      res.json({ message: greet(name, auth.claimsOf(res)?.sub) });
    });

    // the spans the in-memory exporter kept, for administrators
    http.admin.get('/traces', (_req, res) => {
      res.json(
        tracing.finishedSpans().map((s) => ({ name: s.name, traceId: s.spanContext().traceId })),
      );
    });
  }
}
