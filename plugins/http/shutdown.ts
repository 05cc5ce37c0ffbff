import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import { setTimer } from '../../src/index.js';

/** How long a stopping server keeps serving, then how long its open requests get. */
export interface ShutdownLimits {
  /** Ms it goes on serving as usual, while load balancers take it out of rotation; 0: none. */
  delayMs: number;
  /** Ms the requests still open get after that; `Infinity`: no limit. */
  drainMs: number;
}

/**
 * Stops a node:http server the way a load balancer expects. It follows every
 * connection of the server and the requests in flight on each from the moment
 * it is made (before `listen`). `stop()` serves on for `delayMs`, then stops
 * accepting, closes the connections that have no request in flight, answers
 * every request still open or arriving with `Connection: close`, closes each
 * connection once its last response is sent, and cuts what is left after
 * `drainMs`. It knows nothing of the framework that answers the requests.
 */
export class GracefulShutdown {
  /** Every open connection with the responses still owed on it. */
  private readonly open = new Map<Socket, Set<ServerResponse>>();
  private draining = false;

  constructor(private readonly server: Server) {
    server.on('connection', this.onConnection);
    // first, so that the header is set before any handler answers
    server.prependListener('request', this.onRequest);
  }

  /** Resolves once every connection is closed; with how many had to be cut at the drain limit. */
  async stop({ delayMs, drainMs }: ShutdownLimits): Promise<number> {
    if (delayMs > 0) await new Promise<void>((resolve) => setTimer(delayMs, resolve));
    if (!this.server.listening) return 0;
    this.draining = true;
    // http.Server.close() would also drop idle connections at once, racing with
    // requests already on their way; net's close only stops accepting
    const closed = new Promise<void>((resolve) =>
      NetServer.prototype.close.call(this.server, () => resolve()),
    );
    // bytes that already arrived become requests before idle connections are told apart
    await new Promise((resolve) => setImmediate(resolve));
    for (const [socket, responses] of this.open) {
      if (responses.size === 0) closeIdle(socket);
      for (const res of responses) askToClose(res);
    }
    let cut = 0;
    const cancel = setTimer(drainMs, () => {
      cut = this.open.size;
      for (const socket of this.open.keys()) socket.destroy();
    });
    await closed;
    cancel();
    return cut;
  }

  private readonly onConnection = (socket: Socket): void => {
    this.open.set(socket, new Set());
    socket.once('close', () => this.open.delete(socket));
  };

  private readonly onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const responses = this.open.get(req.socket);
    if (!responses) return;
    responses.add(res);
    if (this.draining) askToClose(res);
    const done = (): void => {
      responses.delete(res);
      // between requests: the connection goes now, before the client sends another
      if (this.draining && responses.size === 0) req.socket.destroy();
    };
    res.once('finish', done);
    res.once('close', done);
  };
}

/** The response tells the client to close the connection after it, unless its headers are out. */
function askToClose(res: ServerResponse): void {
  if (!res.headersSent) res.setHeader('Connection', 'close');
}

/**
 * Closes a connection with no request in flight. One that Node no longer parses
 * HTTP on was upgraded (WebSocket): it belongs to whoever upgraded it, and is
 * cut only at the drain limit.
 */
function closeIdle(socket: Socket): void {
  if ((socket as Socket & { parser?: unknown }).parser === null) return;
  socket.destroy();
}
