import type { IncomingMessage } from 'node:http';
import type { Engine } from './engine.js';
import type { HookHandler, HookReply, HookRequest } from './neutral.js';
import { UNMATCHED } from './route.js';

/** A request as hooks see it, on either engine: read from Node's request. */
export class NodeHookRequest implements HookRequest {
  constructor(
    readonly raw: IncomingMessage,
    private readonly engine: Pick<Engine, 'label'>,
  ) {}
  get method(): string {
    return this.raw.method!;
  }
  get url(): string {
    return this.raw.url!;
  }
  get headers(): HookRequest['headers'] {
    return this.raw.headers;
  }
  route(): string | undefined {
    const label = this.engine.label(this.raw);
    return label === UNMATCHED ? undefined : label;
  }
}

/**
 * Runs a hook with a `next` that lets the request on once, and not once the
 * hook answered. What the hook throws or rejects with goes to `fail` while the
 * request is still the hook's, to `late` once it let the request on: the route
 * answers then, so the error is only logged.
 */
export function runHook(
  handler: HookHandler,
  req: HookRequest,
  reply: HookReply,
  next: () => void,
  fail: (err: unknown) => void,
  late: (err: unknown) => void,
): void {
  let passed = false;
  const pass = () => {
    if (passed || reply.raw.headersSent) return;
    passed = true;
    next();
  };
  const failed = (err: unknown) => (passed ? late(err) : fail(err));
  let out: void | Promise<void>;
  try {
    out = handler(req, reply, pass);
  } catch (err) {
    return failed(err);
  }
  if (out) out.then(undefined, failed);
}
