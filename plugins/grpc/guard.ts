import type { ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Logger } from '../../src/index.js';

type Grpc = typeof import('@grpc/grpc-js');
type Handler = (call: unknown, callback?: (error: unknown) => void) => unknown;

/**
 * Wraps each handler so that a throw or a rejected promise ends the call instead
 * of the process: an error carrying a gRPC `code` is sent as it is; anything else
 * is logged with its stack and answered `INTERNAL` without details.
 */
export function guardHandlers(
  grpc: Grpc,
  service: ServiceDefinition,
  implementation: UntypedServiceImplementation,
  log: Logger,
): UntypedServiceImplementation {
  const guarded: UntypedServiceImplementation = {};
  for (const [key, method] of Object.entries(service)) {
    const handler = (implementation[key] ?? implementation[method.originalName ?? '']) as
      Handler | undefined;
    if (!handler) continue;
    const unaryReply = !method.responseStream;
    const fail = (
      call: unknown,
      callback: ((error: unknown) => void) | undefined,
      err: unknown,
    ) => {
      const code = (err as { code?: unknown } | undefined)?.code;
      const status =
        typeof code === 'number' && code > 0 && code <= 16
          ? { code, details: (err as Error).message ?? '' }
          : { code: grpc.status.INTERNAL, details: 'internal error' };
      if (status.code === Number(grpc.status.INTERNAL) && status.details === 'internal error') {
        log.error(`${method.path} threw: ${err instanceof Error ? err.message : String(err)}`, {
          stack: (err as Error | undefined)?.stack,
        });
      }
      if (unaryReply && callback) callback(status);
      else (call as { emit(event: 'error', status: unknown): void }).emit('error', status);
    };
    guarded[key] = ((call: unknown, callback?: (error: unknown) => void) => {
      try {
        const result = handler(call, callback);
        if (result instanceof Promise) result.catch((err: unknown) => fail(call, callback, err));
      } catch (err) {
        fail(call, callback, err);
      }
    }) as UntypedServiceImplementation[string];
  }
  return guarded;
}
