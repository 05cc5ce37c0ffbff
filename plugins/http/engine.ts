import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../src/index.js';
import type { AdminDecision } from './admin.js';
import type { HookHandler, RouteHandler, RouteMethod } from './neutral.js';

/** What the `http` plugin needs of an engine (express or Fastify) behind its own Node server. */
export interface Engine {
  /** Node's request listener, called for requests while the plugin serves. */
  readonly listener: (req: IncomingMessage, res: ServerResponse) => void;
  /** Adds an engine-neutral route. */
  route(method: RouteMethod, path: string, handler: RouteHandler, admin: boolean): void;
  /** Adds a hook for the routes added after it and for requests no route takes. */
  hook(handler: HookHandler): void;
  /** The route template of an answered request, lower case, or `<unmatched>`. */
  label(req: IncomingMessage): string;
  /** Every route is registered: get ready to route. */
  ready(): Promise<void>;
  /** Releases what the engine holds. */
  close(): Promise<void>;
}

/** What both engines are given by the `http` plugin in `init`. */
export interface EngineSettings {
  log: Logger;
  /** The admin check of admin routes. */
  admin: (req: IncomingMessage) => AdminDecision | Promise<AdminDecision>;
  /** Largest JSON body in bytes. */
  bodyLimit: number;
  /** Deepest nesting of a JSON body. */
  bodyDepth: number;
}
