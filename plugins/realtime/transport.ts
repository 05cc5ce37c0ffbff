import type { ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';
import type { Disconnect } from './protocol.js';

/** How a session reaches its client: a WebSocket, or an SSE response that only receives. */
export interface Transport {
  readonly kind: 'ws' | 'sse';
  /** Sends one push (the JSON of a Push message, without the `push` wrapper). */
  push(pushJson: string): void;
  /** Sends an encoded frame as it is (built once for many clients). */
  sendFrame(frame: Buffer | string): void;
  /** Sends a reply (WebSocket only). */
  reply(json: string): void;
  /** Bytes written but not yet taken by the client. */
  buffered(): number;
  /** Ends the connection with a disconnect code and reason. */
  close(disconnect: Disconnect): void;
}

/** A WebSocket that ignored its close frame for this long is cut off. */
const CLOSE_GRACE_MS = 1_000;

/** The Centrifuge WebSocket transport: JSON frames, the disconnect as the close code. */
export class WebSocketTransport implements Transport {
  readonly kind = 'ws';

  constructor(private readonly ws: WebSocket) {}

  push(pushJson: string): void {
    this.ws.send(`{"push":${pushJson}}`);
  }

  sendFrame(frame: Buffer | string): void {
    this.ws.send(frame, { binary: false });
  }

  reply(json: string): void {
    this.ws.send(json);
  }

  buffered(): number {
    return this.ws.bufferedAmount;
  }

  close({ code, reason }: Disconnect): void {
    const ws = this.ws;
    if (ws.readyState === ws.CLOSED) return;
    ws.close(code, reason);
    // a client that does not read never answers the close frame
    const timer = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
    timer.unref();
    ws.once('close', () => clearTimeout(timer));
  }
}

/** The unidirectional SSE transport: each push as one `data:` event. */
export class SseTransport implements Transport {
  readonly kind = 'sse';

  constructor(private readonly res: ServerResponse) {}

  push(pushJson: string): void {
    this.res.write(`data: ${pushJson}\n\n`);
  }

  sendFrame(frame: Buffer | string): void {
    this.res.write(frame);
  }

  reply(): void {
    // nothing to reply to: an SSE client sends no commands
  }

  buffered(): number {
    return this.res.writableLength;
  }

  close(disconnect: Disconnect): void {
    if (this.res.writableEnded) return;
    this.push(JSON.stringify({ disconnect: { ...disconnect, reconnect: disconnect.code < 3500 } }));
    this.res.end();
  }
}
