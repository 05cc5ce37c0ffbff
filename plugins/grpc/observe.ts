import type {
  Metadata,
  ServerInterceptor,
  ServerMethodDefinition,
  FullResponder,
  ServerInterceptingCall,
  ServerInterceptingCallInterface,
} from '@grpc/grpc-js';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { Logger } from '../../src/index.js';

type Grpc = typeof import('@grpc/grpc-js');

/** The listener a call hands the layer beneath it. */
type InterceptingServerListener = Parameters<ServerInterceptingCallInterface['start']>[0];

/** A status as a responder passes it on. */
type Status = Parameters<FullResponder['sendStatus']>[0];

/** Status code names as go-grpc-prometheus labels them (`codes.Code.String()`). */
export const CODE_NAMES = [
  'OK',
  'Canceled',
  'Unknown',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'OutOfRange',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
  'Unauthenticated',
] as const;

/** `unary`, `client_stream`, `server_stream` or `bidi_stream`, as go-grpc-prometheus says. */
function callType(method: ServerMethodDefinition<unknown, unknown>): string {
  if (method.requestStream) return method.responseStream ? 'bidi_stream' : 'client_stream';
  return method.responseStream ? 'server_stream' : 'unary';
}

/** The labelled metric children of one method, made once. */
interface MethodStats {
  service: string;
  method: string;
  started?: Counter.Internal;
  seconds?: Histogram.Internal<string>;
  handled: Map<number, Counter.Internal>;
  labels: Record<string, string>;
}

/** What the call observer needs. */
export interface ObserveOptions {
  log: Logger;
  /** False before `afterInit` and once stopping: calls are refused with UNAVAILABLE. */
  serving: () => boolean;
  registry?: Registry | undefined;
}

/**
 * The interceptor nearest the network: refuses calls while not serving, counts
 * started and handled calls and their duration under go-grpc-prometheus names,
 * and logs one line per call that ended with a status other than OK.
 */
export function observeCalls(grpc: Grpc, options: ObserveOptions): ServerInterceptor {
  const { log, serving, registry } = options;
  const registers = registry ? [registry] : [];
  const labelNames = ['grpc_type', 'grpc_service', 'grpc_method'] as const;
  const started = registry
    ? new Counter({
        name: 'grpc_server_started_total',
        help: 'RPCs started on the server',
        labelNames,
        registers,
      })
    : undefined;
  const handled = registry
    ? new Counter({
        name: 'grpc_server_handled_total',
        help: 'RPCs completed on the server, regardless of success or failure',
        labelNames: [...labelNames, 'grpc_code'],
        registers,
      })
    : undefined;
  const seconds = registry
    ? new Histogram({
        name: 'grpc_server_handling_seconds',
        help: 'Time until the server finished handling RPCs',
        labelNames,
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers,
      })
    : undefined;
  const methods = new Map<string, MethodStats>();
  const statsOf = (method: ServerMethodDefinition<unknown, unknown>): MethodStats => {
    let stats = methods.get(method.path);
    if (stats) return stats;
    const [, service = '', name = ''] = /^\/([^/]*)\/(.*)$/.exec(method.path) ?? [];
    const labels = { grpc_type: callType(method), grpc_service: service, grpc_method: name };
    stats = {
      service,
      method: name,
      labels,
      handled: new Map(),
      ...(started ? { started: started.labels(labels) } : {}),
      ...(seconds ? { seconds: seconds.labels(labels) } : {}),
    };
    methods.set(method.path, stats);
    return stats;
  };
  const finished = (
    stats: MethodStats,
    path: string,
    call: ObservedCall,
    code: number,
    details?: string,
  ) => {
    const elapsed = clock.now() - call.began;
    if (handled) {
      let child = stats.handled.get(code);
      if (!child) {
        child = handled.labels({ ...stats.labels, grpc_code: CODE_NAMES[code] ?? String(code) });
        stats.handled.set(code, child);
      }
      child.inc();
      stats.seconds!.observe(elapsed / 1000);
    }
    if (code !== Number(grpc.status.OK)) {
      log.warn(`${path} failed with ${CODE_NAMES[code] ?? code}${details ? `: ${details}` : ''}`, {
        grpc_code: code,
        peer: call.getPeer(),
        durationMs: Math.round(elapsed),
      });
    }
  };
  const hooks: Hooks = { grpc, serving, finished };
  return (method, call) => {
    const stats = statsOf(method);
    stats.started?.inc();
    return new ObservedCall(call, hooks, stats, method.path) as unknown as ServerInterceptingCall;
  };
}

const clock = performance;

interface Hooks {
  grpc: Grpc;
  serving: () => boolean;
  finished: (
    stats: MethodStats,
    path: string,
    call: ObservedCall,
    code: number,
    details?: string,
  ) => void;
}

/**
 * One observed call: a thin layer that is both the call the next interceptor
 * sees and the listener of the call beneath, so a call costs one object.
 */
class ObservedCall implements ServerInterceptingCallInterface, InterceptingServerListener {
  readonly began = clock.now();
  private listener?: InterceptingServerListener;
  private done = false;

  constructor(
    private readonly next: ServerInterceptingCallInterface,
    private readonly hooks: Hooks,
    private readonly stats: MethodStats,
    private readonly path: string,
  ) {}

  start(listener: InterceptingServerListener): void {
    this.listener = listener;
    this.next.start(this);
  }
  onReceiveMetadata(metadata: Metadata): void {
    if (this.hooks.serving()) return this.listener!.onReceiveMetadata(metadata);
    const { UNAVAILABLE } = this.hooks.grpc.status;
    this.sendStatus({ code: UNAVAILABLE, details: 'the server is not serving yet or any more' });
  }
  onReceiveMessage(message: unknown): void {
    this.listener!.onReceiveMessage(message);
  }
  onReceiveHalfClose(): void {
    this.listener!.onReceiveHalfClose();
  }
  onCancel(): void {
    const deadline = this.next.getDeadline();
    const passed = (deadline instanceof Date ? deadline.getTime() : deadline) <= Date.now();
    const { DEADLINE_EXCEEDED, CANCELLED } = this.hooks.grpc.status;
    this.finish(passed ? DEADLINE_EXCEEDED : CANCELLED, passed ? 'deadline exceeded' : 'cancelled');
    this.listener!.onCancel();
  }
  sendMetadata(metadata: Metadata): void {
    this.next.sendMetadata(metadata);
  }
  sendMessage(message: unknown, callback: () => void): void {
    this.next.sendMessage(message, callback);
  }
  sendStatus(status: Status): void {
    this.finish(status.code, status.details);
    this.next.sendStatus(status);
  }
  startRead(): void {
    this.next.startRead();
  }
  getPeer(): string {
    return this.next.getPeer();
  }
  getDeadline(): ReturnType<ServerInterceptingCallInterface['getDeadline']> {
    return this.next.getDeadline();
  }
  getHost(): string {
    return this.next.getHost();
  }
  getAuthContext(): ReturnType<ServerInterceptingCallInterface['getAuthContext']> {
    return this.next.getAuthContext();
  }
  getConnectionInfo(): ReturnType<ServerInterceptingCallInterface['getConnectionInfo']> {
    return this.next.getConnectionInfo();
  }
  getMetricsRecorder(): ReturnType<ServerInterceptingCallInterface['getMetricsRecorder']> {
    return this.next.getMetricsRecorder();
  }

  private finish(code: number, details: string | undefined): void {
    if (this.done) return;
    this.done = true;
    this.hooks.finished(this.stats, this.path, this, code, details);
  }
}
