import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { HEALTH_SCHEMA } from '../../plugins/grpc/index.js';
import type { GrpcServices, ServingStatus } from '../../plugins/grpc/index.js';
import type { InitContext, Plugin } from '../../src/index.js';

/** The test service's proto file. */
export const GREETER_PROTO = fileURLToPath(
  new URL('../fixtures/grpc/greeter.proto', import.meta.url),
);

type Reply = { message: string };
type Unary<Req> = (
  request: Req,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, reply?: Reply) => void,
) => grpc.ClientUnaryCall;

/** A grpc-js client of the test Greeter service. */
export interface GreeterClient extends grpc.Client {
  SayHello: Unary<{ name: string }>;
  Slow: Unary<{ ms: number }>;
  Fail: Unary<{ how: string }>;
  StreamHellos(request: { name: string; count: number }): grpc.ClientReadableStream<Reply>;
}

/** A Greeter client for `target` (`127.0.0.1:port` or `unix:/path`). */
export function greeterClient(target: string): GreeterClient {
  const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(GREETER_PROTO)) as unknown as {
    greeter: { Greeter: new (target: string, creds: grpc.ChannelCredentials) => GreeterClient };
  };
  return new pkg.greeter.Greeter(target, grpc.credentials.createInsecure());
}

/** One unary call as a promise; `metadata` and `deadlineMs` optional. */
export function call<Req>(
  method: Unary<Req>,
  client: grpc.Client,
  request: Req,
  options: { metadata?: grpc.Metadata; deadlineMs?: number } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    method.call(
      client,
      request,
      options.metadata ?? new grpc.Metadata(),
      options.deadlineMs === undefined ? {} : { deadline: Date.now() + options.deadlineMs },
      (err, reply) => (err ? reject(err) : resolve(reply!)),
    );
  });
}

/** The gRPC status code a promise rejected with. */
export async function codeOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
    return grpc.status.OK;
  } catch (err) {
    return (err as grpc.ServiceError).code;
  }
}

/** A client of the standard health service. */
export interface HealthClient extends grpc.Client {
  Check(
    request: { service: string },
    callback: (err: grpc.ServiceError | null, reply?: { status: ServingStatus }) => void,
  ): void;
  Watch(request: { service: string }): grpc.ClientReadableStream<{ status: ServingStatus }>;
}

/** A health client for `target`. */
export function healthClient(target: string): HealthClient {
  const definition = protoLoader.fromJSON(
    HEALTH_SCHEMA as Parameters<typeof protoLoader.fromJSON>[0],
    {
      enums: String,
    },
  );
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    grpc: {
      health: { v1: { Health: new (t: string, c: grpc.ChannelCredentials) => HealthClient } };
    };
  };
  return new pkg.grpc.health.v1.Health(target, grpc.credentials.createInsecure());
}

/** Serves the test Greeter; `Slow` waits `ms` (or until cancelled), `Fail` fails as asked. */
export class GreeterService implements Plugin {
  deps!: { grpc: GrpcServices };
  /** Calls of `Slow` currently running. */
  running = 0;
  /** Calls of `Slow` that saw their call cancelled. */
  cancelled = 0;
  private onRunning?: () => void;

  constructor(private readonly health?: string) {}

  /** Resolves once `n` calls of `Slow` are running. */
  whenRunning(n: number): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.running >= n) resolve();
        else this.onRunning = check;
      };
      check();
    });
  }

  async init(_ctx: InitContext): Promise<void> {
    const pkg = (await this.deps.grpc.loadProto(GREETER_PROTO)) as unknown as {
      greeter: { Greeter: { service: grpc.ServiceDefinition } };
    };
    this.deps.grpc.addService(
      pkg.greeter.Greeter.service,
      {
        SayHello: (
          call: grpc.ServerUnaryCall<{ name: string }, Reply>,
          cb: grpc.sendUnaryData<Reply>,
        ) => cb(null, { message: `Hello, ${call.request.name || 'world'}!` }),
        StreamHellos: (call: grpc.ServerWritableStream<{ name: string; count: number }, Reply>) => {
          for (let i = 1; i <= call.request.count; i++)
            call.write({ message: `Hello #${i}, ${call.request.name}!` });
          call.end();
        },
        Slow: (
          call: grpc.ServerUnaryCall<{ ms: number }, Reply>,
          cb: grpc.sendUnaryData<Reply>,
        ) => {
          this.running++;
          this.onRunning?.();
          let done = false;
          const timer = setTimeout(() => {
            done = true;
            this.running--;
            cb(null, { message: `slept ${call.request.ms} ms` });
          }, call.request.ms);
          call.on('cancelled', () => {
            if (done) return;
            done = true;
            clearTimeout(timer);
            this.running--;
            this.cancelled++;
          });
        },
        Fail: async (
          call: grpc.ServerUnaryCall<{ how: string }, Reply>,
          cb: grpc.sendUnaryData<Reply>,
        ) => {
          switch (call.request.how) {
            case 'status':
              return cb({ code: grpc.status.NOT_FOUND, details: 'no such greeting' });
            case 'internal':
              return cb({ code: grpc.status.INTERNAL, details: 'store said no' });
            case 'throw':
              throw new Error('secret detail of a bug');
            case 'undefined':
              throw undefined;
            case 'code':
              throw Object.assign(new Error('bad name'), { code: grpc.status.INVALID_ARGUMENT });
            case 'twice':
              cb(null, { message: 'first' });
              return cb(null, { message: 'second' });
            case 'answer-then-throw':
              cb(null, { message: 'answered' });
              throw new Error('a bug after the answer');
            default:
              await Promise.resolve();
              throw new Error('rejected with a secret');
          }
        },
      },
      this.health === undefined ? {} : { health: this.health },
    );
  }
}
