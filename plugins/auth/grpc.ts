import type { Metadata, ServerInterceptor } from '@grpc/grpc-js';
import type { Claims, Decision, Target } from './rules.js';

type Grpc = typeof import('@grpc/grpc-js');

/**
 * A server interceptor applying the access rules to the method path:
 * UNAUTHENTICATED for a missing or bad token, PERMISSION_DENIED for a token
 * without the role or scope. The claims are kept per call's metadata.
 */
export function grpcGuard(
  grpc: Grpc,
  decide: (target: Target, authorization: string | undefined) => Promise<Decision>,
  claims: WeakMap<Metadata, Claims>,
): ServerInterceptor {
  return (method, call) => {
    const wrapped = new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, nextMetadata) => {
            const [header] = metadata.get('authorization');
            decide({ path: method.path }, typeof header === 'string' ? header : undefined).then(
              (decision) => {
                if (decision.allowed) {
                  if (decision.claims) claims.set(metadata, decision.claims);
                  return nextMetadata(metadata);
                }
                const code =
                  decision.status === 401
                    ? grpc.status.UNAUTHENTICATED
                    : grpc.status.PERMISSION_DENIED;
                wrapped.sendStatus({ code, details: decision.reason });
              },
              () =>
                wrapped.sendStatus({
                  code: grpc.status.INTERNAL,
                  details: 'the access check failed',
                }),
            );
          },
        }),
    });
    return wrapped;
  };
}
