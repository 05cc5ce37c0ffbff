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
 * How long a connection may sit without a request once the drain began (or
 * once its last answer went out during the drain) before it is closed: a
 * request the client had already sent is still answered (with
 * `Connection: close`) instead of meeting a closed socket.
 */
const IDLE_GRACE_MS = 100;

/**
 * An open connection: the responses still owed on it, each with when its request
 * came, and when it closes if it stays idle.
 */
interface Connection {
  responses: Map<ServerResponse, number>;
  idle?: NodeJS.Timeout | undefined;
}

/**
 * Stops a node:http server the way a load balancer expects. It follows every
 * connection of the server from the moment it is made (before `listen`), and
 * the requests in flight on each as the server's owner reports them
 * (`request`, `answered`: no listener per request). `stop()` serves on for `delayMs`, then stops
 * accepting, answers the last request still open or arriving on each
 * connection with `Connection: close`, closes each connection once it has no
 * request in flight (after a short grace, so a request already on its way is
 * answered), and cuts what is left after `drainMs`. It knows nothing of the framework that answers
 * the requests.
 */
export class GracefulShutdown {
  private readonly open = new Map<Socket, Connection>();
  /** Responses this class asked to close their connection. */
  private readonly asked = new WeakSet<ServerResponse>();
  private draining = false;
  private endDelay?: (() => void) | undefined;

  constructor(private readonly server: Server) {
    server.on('connection', this.onConnection);
  }

  /** Resolves once every connection is closed; with how many had to be cut at the drain limit. */
  async stop({ delayMs, drainMs }: ShutdownLimits): Promise<number> {
    if (!this.server.listening) return 0;
    if (delayMs > 0) {
      await new Promise<void>((resolve) => {
        const cancel = setTimer(delayMs, resolve);
        this.endDelay = () => {
          cancel();
          resolve();
        };
      });
      this.endDelay = undefined;
    }
    if (!this.server.listening) return 0;
    this.draining = true;
    // http.Server.close() would also drop idle connections at once, racing with
    // requests already on their way; net's close only stops accepting
    const closed = new Promise<void>((resolve) =>
      NetServer.prototype.close.call(this.server, () => resolve()),
    );
    for (const [socket, connection] of this.open) {
      if (connection.responses.size === 0) closeWhenIdle(socket, connection);
      else this.askToClose(connection.responses);
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

  /** Ends a running `shutdownDelay` at once, when the server is closed before it is over. */
  abandon(): void {
    this.endDelay?.();
  }

  /**
   * Asks the client to close the connection after the newest response owed on it
   * (unless its headers are out); earlier ones stay keep-alive, so that requests
   * pipelined behind them are still answered.
   */
  private askToClose(responses: Map<ServerResponse, number>): void {
    const newest = [...responses.keys()].pop();
    for (const res of responses.keys()) {
      if (res.headersSent) continue;
      if (res === newest) {
        res.setHeader('Connection', 'close');
        this.asked.add(res);
      } else if (this.asked.delete(res)) {
        res.removeHeader('Connection');
      }
    }
  }

  private readonly onConnection = (socket: Socket): void => {
    const connection: Connection = { responses: new Map() };
    this.open.set(socket, connection);
    socket.once('close', () => {
      clearTimeout(connection.idle);
      this.open.delete(socket);
    });
  };

  /**
   * Notes a request, the response owed for it, and `began`, when it came (in the
   * owner's clock; `answered` gives it back). The server's request listener calls
   * it first, so that the header is set before any handler answers.
   */
  request(req: IncomingMessage, res: ServerResponse, began: number): void {
    const connection = this.open.get(req.socket);
    if (!connection) return;
    if (connection.idle) clearTimeout(connection.idle);
    connection.responses.set(res, began);
    if (this.draining) this.askToClose(connection.responses);
  }

  /**
   * Notes that a response went out in full (Node's `http.server.response.finish`
   * channel), with when its request came; undefined for one it did not note. A
   * response that never goes out goes with its connection's `close`.
   */
  answered(socket: Socket, res: ServerResponse): number | undefined {
    const connection = this.open.get(socket);
    const began = connection?.responses.get(res);
    if (!connection || began === undefined) return undefined;
    connection.responses.delete(res);
    if (this.draining && connection.responses.size === 0) closeWhenIdle(socket, connection);
    return began;
  }
}

/**
 * Closes a connection with no request in flight, after `IDLE_GRACE_MS` unless a request
 * comes. One that Node no longer parses HTTP on was upgraded (WebSocket): it
 * belongs to whoever upgraded it, and is cut only at the drain limit.
 */
function closeWhenIdle(socket: Socket, connection: Connection): void {
  if ((socket as Socket & { parser?: unknown }).parser === null) return;
  clearTimeout(connection.idle);
  connection.idle = setTimeout(() => socket.destroy(), IDLE_GRACE_MS);
}
