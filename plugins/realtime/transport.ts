import type { ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import type { WebSocket } from 'ws';
import type { Disconnect } from './protocol.js';

/** How a session reaches its client: a WebSocket, or an SSE response that only receives. */
export interface Transport {
  readonly kind: 'ws' | 'sse';
  /** Sends one push (the JSON of a Push message, without the `push` wrapper). */
  push(pushJson: string): void;
  /** Sends a push encoded once for every subscriber of a channel. */
  sendShared(push: SharedPush): void;
  /** Sends a reply (WebSocket only). */
  reply(json: string): void;
  /** Bytes written but not yet taken by the client. */
  buffered(): number;
  /** Ends the connection with a disconnect code and reason. */
  close(disconnect: Disconnect): void;
}

/**
 * One push sent to many clients, encoded once per transport: for WebSocket as
 * a complete text frame (header and payload in one buffer, written to each
 * socket as it is), for SSE as one event.
 */
export class SharedPush {
  private payload?: Buffer;
  private frame?: Buffer;
  private event?: string;

  constructor(readonly pushJson: string) {}

  /** The WebSocket message: the push in its `push` wrapper. */
  wsPayload(): Buffer {
    return (this.payload ??= Buffer.from(`{"push":${this.pushJson}}`));
  }

  /** The WebSocket message framed as a final, unmasked text frame (RFC 6455, 5.2). */
  wsFrame(): Buffer {
    return (this.frame ??= textFrame(this.wsPayload()));
  }

  /** The SSE event. */
  sseEvent(): string {
    return (this.event ??= `data: ${this.pushJson}\n\n`);
  }
}

/** A server's text frame: FIN and opcode 1, no mask, the length in 7, 16 or 64 bits. */
function textFrame(payload: Buffer): Buffer {
  const length = payload.length;
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = 0x81;
  if (length < 126) frame[1] = length;
  else if (length < 65_536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  payload.copy(frame, headerLength);
  return frame;
}

/** What the fast path reads of a `ws` socket: the TCP socket under it. */
interface WithSocket {
  _socket?: Writable;
}

/** Options of every WebSocket message the server sends: text. */
const TEXT = { binary: false } as const;

/** A WebSocket that ignored its close frame for this long is cut off. */
const CLOSE_GRACE_MS = 1_000;

/** The Centrifuge WebSocket transport: JSON frames, the disconnect as the close code. */
export class WebSocketTransport implements Transport {
  readonly kind = 'ws';

  constructor(private readonly ws: WebSocket) {}

  push(pushJson: string): void {
    this.ws.send(`{"push":${pushJson}}`);
  }

  /**
   * Writes the shared frame straight to the TCP socket: ws frames a message
   * the same way and, without a compression extension, keeps no queue of its
   * own that this could overtake. Anything else goes through `ws.send`.
   */
  sendShared(push: SharedPush): void {
    const ws = this.ws;
    const socket = (ws as unknown as WithSocket)._socket;
    if (ws.readyState === ws.OPEN && ws.extensions === '' && socket) socket.write(push.wsFrame());
    else ws.send(push.wsPayload(), TEXT);
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

  sendShared(push: SharedPush): void {
    this.res.write(push.sseEvent());
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
