import type { ServerResponse } from 'node:http';

/** Ms between comment lines that keep an idle stream open through proxies. */
const HEARTBEAT_MS = 15_000;

/**
 * The open Server-Sent Events streams of the diagnostics page: each gets the
 * page's content again whenever something changed, coalesced to one event per
 * turn of the event loop.
 */
export class LiveStreams {
  private readonly streams = new Set<ServerResponse>();
  private scheduled = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly render: () => string) {}

  /** Starts an event stream on `res` with the current content. */
  open(res: ServerResponse): void {
    if (this.closed) {
      res.writeHead(503, { 'Content-Type': 'text/plain' }).end('the agent is stopping');
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
    });
    this.streams.add(res);
    res.on('close', () => this.streams.delete(res));
    res.write(event(this.render()));
    this.heartbeat ??= setInterval(() => {
      for (const stream of this.streams) stream.write(': still here\n\n');
    }, HEARTBEAT_MS).unref();
  }

  /** Something shown on the page changed: every stream gets the new content soon. */
  changed(): void {
    if (this.scheduled || this.streams.size === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.streams.size === 0) return;
      const data = event(this.render());
      for (const stream of this.streams) stream.write(data);
    });
  }

  /** Ends every stream, so that the HTTP server's drain does not wait for them. */
  close(): void {
    this.closed = true;
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    for (const stream of this.streams) stream.end();
    this.streams.clear();
  }
}

/** One `content` event: the HTML, one `data:` line per line. */
function event(html: string): string {
  return `event: content\n${html
    .split('\n')
    .map((line) => `data: ${line}`)
    .join('\n')}\n\n`;
}
