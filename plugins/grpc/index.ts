import type {
  GrpcObject,
  Server,
  ServerInterceptor,
  ServiceDefinition,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { Options as ProtoOptions, PackageDefinition } from '@grpc/proto-loader';
import { importPeer, type InitContext, type Logger, type Plugin } from '../../src/index.js';
import type { Metrics } from '../prometheus/index.js';
import type { StatusReporter } from '../status-check/index.js';
import { GrpcConfig } from './config.js';
import { guardHandlers, type GrpcFailure } from './guard.js';
import { HEALTH_SCHEMA, HealthService } from './health.js';
import { observeCalls } from './observe.js';

export { GrpcConfig } from './config.js';
export type { GrpcFailure } from './guard.js';
export { HEALTH_SCHEMA, type ServingStatus } from './health.js';
export { CODE_NAMES } from './observe.js';

type Grpc = typeof import('@grpc/grpc-js');

/** Options of `addService`. */
export interface AddServiceOptions {
  /** The plugin whose health the health service reports for this service; default: the agent's. */
  health?: string;
}

/** What dependents of the gRPC server use, during their `init`. */
export interface GrpcServices {
  /** Loads `.proto` files with proto-loader (kept for reflection) and returns their gRPC object. */
  loadProto(files: string | string[], options?: ProtoOptions): Promise<GrpcObject>;
  /** Adds a service: from `loadProto(...)` or generated code. Handlers may throw or return promises. */
  addService(
    service: ServiceDefinition,
    implementation: UntypedServiceImplementation,
    options?: AddServiceOptions,
  ): void;
  /** Adds a server interceptor; interceptors see calls in the order they were added. */
  addInterceptor(interceptor: ServerInterceptor): void;
  /** Where the server listens, once initialised. */
  address(): { host: string; port: number; socket?: string };
}

/** proto-loader options that keep field names and give JSON-friendly values. */
const PROTO_DEFAULTS: ProtoOptions = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

/**
 * A gRPC server on `@grpc/grpc-js` with the standard health service, server
 * reflection, metrics and a log line per failed call. It binds in `init` (a
 * port in use fails the start), serves from `afterInit` on (UNAVAILABLE before),
 * and in `beforeClose` stops accepting and lets in-flight calls finish within
 * `drainTimeout`, then cancels the rest.
 */
export class GrpcPlugin implements Plugin, GrpcServices {
  static readonly configClass = GrpcConfig;
  deps!: { status: StatusReporter; metrics?: Metrics };
  private grpc?: Grpc;
  private server?: Server | undefined;
  private config = new GrpcConfig();
  private log?: Logger;
  private port = 0;
  private serving = false;
  private health?: HealthService;
  private readonly interceptors: ServerInterceptor[] = [];
  private readonly definitions: PackageDefinition[] = [];
  private readonly healthOf = new Map<string, string>();
  private readonly failureListeners = new Set<(failure: GrpcFailure) => void>();
  private readonly failed = (failure: GrpcFailure): void => {
    for (const listener of this.failureListeners) listener(failure);
  };

  async init(ctx: InitContext): Promise<void> {
    this.config = ctx.config(GrpcConfig);
    this.log = ctx.log;
    const grpc = (this.grpc = await importPeer(
      ctx.name,
      '@grpc/grpc-js',
      () => import('@grpc/grpc-js'),
    ));
    const observe = observeCalls(grpc, {
      log: ctx.log,
      serving: () => this.serving,
      registry: this.deps.metrics?.registry,
    });
    const extra = this.interceptors;
    this.server = new grpc.Server({
      'grpc.max_receive_message_length': this.config.maxMessageSize,
      'grpc.max_send_message_length': this.config.maxMessageSize,
      interceptors: [
        (method, call) =>
          extra.length === 0
            ? observe(method, call)
            : extra.reduce((c, i) => i(method, c), observe(method, call)),
      ],
    });
    const { host, port, socket } = this.config;
    this.port = await bind(
      grpc,
      this.server,
      `${host.includes(':') ? `[${host}]` : host}:${port}`,
      `${host}:${port}`,
    );
    if (socket !== undefined)
      await bind(grpc, this.server, `unix:${socket}`, `unix socket ${socket}`);
    const protoLoader = await importPeer(
      ctx.name,
      '@grpc/proto-loader',
      () => import('@grpc/proto-loader'),
    );
    const healthDefinition = protoLoader.fromJSON(
      HEALTH_SCHEMA as Parameters<typeof protoLoader.fromJSON>[0],
      PROTO_DEFAULTS,
    );
    this.definitions.push(healthDefinition);
    this.health = new HealthService(this.deps.status, this.healthOf, grpc.status.NOT_FOUND);
    const healthService = (grpc.loadPackageDefinition(healthDefinition) as unknown as HealthPackage)
      .grpc.health.v1.Health.service;
    this.server.addService(healthService, this.health.implementation);
    ctx.log.info(`gRPC listening on ${host}:${this.port}${socket ? ` and unix:${socket}` : ''}`);
  }

  async afterInit(ctx: InitContext): Promise<void> {
    if (this.config.reflection) {
      const { ReflectionService } = await importPeer(
        ctx.name,
        '@grpc/reflection',
        () => import('@grpc/reflection'),
      );
      new ReflectionService(
        Object.assign({}, ...this.definitions) as PackageDefinition,
      ).addToServer(this.server!);
    }
    this.health!.start();
    this.serving = true;
  }

  async beforeClose(): Promise<void> {
    this.serving = false;
    this.health?.stop();
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.log?.warn(
          `gRPC calls still running after ${this.config.drainTimeout} ms are cancelled`,
        );
        server.forceShutdown();
        resolve();
      }, this.config.drainTimeout);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  close(): void {
    this.server?.forceShutdown();
    this.server = undefined;
  }

  async loadProto(files: string | string[], options: ProtoOptions = {}): Promise<GrpcObject> {
    const protoLoader = await importPeer(
      'grpc',
      '@grpc/proto-loader',
      () => import('@grpc/proto-loader'),
    );
    const definition = await protoLoader.load(files, { ...PROTO_DEFAULTS, ...options });
    this.definitions.push(definition);
    return this.requireGrpc().loadPackageDefinition(definition);
  }

  addService(
    service: ServiceDefinition,
    implementation: UntypedServiceImplementation,
    options: AddServiceOptions = {},
  ): void {
    const grpc = this.requireGrpc();
    const first = Object.values(service)[0];
    const name = first ? /^\/([^/]*)\//.exec(first.path)?.[1] : undefined;
    if (name !== undefined) this.healthOf.set(name, options.health ?? '');
    this.server!.addService(
      service,
      guardHandlers(grpc, service, implementation, this.log!, this.failed),
    );
  }

  /** Calls `listener` for each call that failed with `INTERNAL` (error reporting); returns a function that stops it. */
  onFailure(listener: (failure: GrpcFailure) => void): () => void {
    this.failureListeners.add(listener);
    return () => this.failureListeners.delete(listener);
  }

  addInterceptor(interceptor: ServerInterceptor): void {
    this.interceptors.push(interceptor);
  }

  address(): { host: string; port: number; socket?: string } {
    if (!this.server)
      throw new Error('the grpc plugin is not listening: call address() after its init');
    const { host, socket } = this.config;
    return { host, port: this.port, ...(socket === undefined ? {} : { socket }) };
  }

  private requireGrpc(): Grpc {
    if (!this.grpc || !this.server)
      throw new Error(
        'the grpc plugin is not initialised: add services in the init of a plugin that has it in its deps',
      );
    return this.grpc;
  }
}

type HealthPackage = { grpc: { health: { v1: { Health: { service: ServiceDefinition } } } } };

function bind(grpc: Grpc, server: Server, target: string, label: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(target, grpc.ServerCredentials.createInsecure(), (err, port) => {
      if (!err) return resolve(port);
      const why = /EADDRINUSE/.test(err.message)
        ? 'is already in use: stop the other process or set another port'
        : /EACCES/.test(err.message)
          ? 'needs privileges: choose a port above 1023 or another socket path'
          : `cannot be bound (${err.message})`;
      reject(new Error(`gRPC ${label} ${why}`, { cause: err }));
    });
  });
}
