import type { ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import { messageOf, type Logger } from '../../src/index.js';

type Grpc = typeof import('@grpc/grpc-js');
type Callback = (error: unknown, ...rest: unknown[]) => void;
type Handler = (call: unknown, callback?: Callback) => unknown;

/** A call that failed with `INTERNAL`: the handler threw, or failed with that code. */
export interface GrpcFailure {
  /** The full method path, `/package.Service/Method`. */
  path: string;
  /** The gRPC status code: 13, `INTERNAL`. */
  code: number;
  /** What the handler threw or failed with; never sent to the client. */
  error: unknown;
}

/**
 * Wraps each handler so that a throw or a rejected promise ends the call instead
 * of the process: an error carrying a gRPC `code` is sent as it is; anything else
 * is logged with its stack and answered `INTERNAL` without details. Each call
 * that fails with `INTERNAL` is passed to `failed`.
 */
export function guardHandlers(
  grpc: Grpc,
  service: ServiceDefinition,
  implementation: UntypedServiceImplementation,
  log: Logger,
  failed: (failure: GrpcFailure) => void,
): UntypedServiceImplementation {
  const internal = Number(grpc.status.INTERNAL);
  const codeOf = (err: unknown) => (err as { code?: unknown } | null | undefined)?.code;
  const guarded: UntypedServiceImplementation = {};
  for (const [key, method] of Object.entries(service)) {
    const handler = (implementation[key] ?? implementation[method.originalName ?? '']) as
      Handler | undefined;
    if (!handler) continue;
    const unaryReply = !method.responseStream;
    const path = method.path;
    const fail = (call: unknown, callback: Callback | undefined, err: unknown) => {
      const code = codeOf(err);
      const status =
        typeof code === 'number' && code > 0 && code <= 16
          ? { code, details: (err as Error).message ?? '' }
          : { code: internal, details: 'internal error' };
      if (status.code === internal && status.details === 'internal error') {
        log.error(`${path} threw: ${messageOf(err)}`, {
          stack: (err as Error | undefined)?.stack,
        });
      }
      if (status.code === internal) failed({ path, code: internal, error: err });
      if (unaryReply && callback) callback(status);
      else (call as { emit(event: 'error', status: unknown): void }).emit('error', status);
    };
    guarded[key] = ((call: unknown, callback?: Callback) => {
      // the first answer stands: a second one hung the call, a throw after one replaced it
      let answered = false;
      // an INTERNAL error the handler hands to its callback is a failure too
      const watched: Callback | undefined =
        callback &&
        ((err, ...rest) => {
          if (answered) {
            log.warn(`${path}: the handler answered twice; the second answer is ignored`);
            return;
          }
          answered = true;
          if (err && codeOf(err) === internal) failed({ path, code: internal, error: err });
          callback(err, ...rest);
        });
      const failOnce = (err: unknown) => {
        if (answered) {
          log.error(`${path} threw after it answered: ${messageOf(err)}`);
          return;
        }
        answered = true;
        fail(call, callback, err);
      };
      try {
        const result = handler(call, watched);
        if (result instanceof Promise) result.catch(failOnce);
      } catch (err) {
        failOnce(err);
      }
    }) as UntypedServiceImplementation[string];
  }
  return guarded;
}
