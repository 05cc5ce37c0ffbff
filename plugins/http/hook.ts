import type { IncomingMessage } from 'node:http';
import type { Engine } from './engine.js';
import type { HookRequest } from './neutral.js';
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
