import type { ServerResponse } from 'node:http';
import { Session } from 'node:inspector/promises';
import { IsInt, Max, Min } from 'class-validator';
import { type InitContext, type Logger, messageOf, type Plugin, Setting } from '../../src/index.js';
import type { RouteReply, Routes } from '../http/index.js';

/** Settings of the `profiling` plugin. */
export class ProfilingConfig {
  @Setting({ description: 'longest CPU profile in seconds that may be asked for' })
  @IsInt()
  @Min(1)
  @Max(600)
  maxSeconds = 60;

  @Setting({ description: 'seconds a CPU profile lasts when the request does not say' })
  @IsInt()
  @Min(1)
  @Max(600)
  defaultSeconds = 10;
}

/**
 * Admin-protected profiling through `node:inspector`, one at a time:
 * `GET /debug/profile?seconds=N` answers a `.cpuprofile` (Chrome DevTools opens
 * it) and `GET /debug/heap` a `.heapsnapshot`. A second request while one runs
 * gets 409; stopping the agent ends a running profile early.
 */
export class ProfilingPlugin implements Plugin {
  static readonly configClass = ProfilingConfig;
  deps!: { http: Routes };
  private config = new ProfilingConfig();
  private log?: Logger;
  private busy?: string | undefined;
  private readonly stops = new Set<() => void>();

  init(ctx: InitContext): void {
    this.config = ctx.config(ProfilingConfig);
    this.log = ctx.log;
    const { http } = this.deps;
    const admin = { admin: true };
    http.route(
      'GET',
      '/debug/profile',
      (req, reply) => {
        const seconds = req.query.seconds;
        const asked = seconds === undefined ? this.config.defaultSeconds : Number(seconds);
        if (!Number.isInteger(asked) || asked < 1 || asked > this.config.maxSeconds) {
          reply
            .status(400)
            .json({ error: `seconds must be a whole number from 1 to ${this.config.maxSeconds}` });
          return;
        }
        this.exclusive(reply, 'a CPU profile', (res) => this.cpuProfile(asked, res));
      },
      admin,
    );
    http.route(
      'GET',
      '/debug/heap',
      (_req, reply) => this.exclusive(reply, 'a heap snapshot', (res) => this.heapSnapshot(res)),
      admin,
    );
  }

  beforeClose(): void {
    for (const stop of this.stops) stop();
  }

  /**
   * Runs one profiling job at a time, streaming to Node's response; answers 409
   * while another runs, 500 when it fails.
   */
  private exclusive(
    reply: RouteReply,
    what: string,
    job: (res: ServerResponse) => Promise<void>,
  ): void {
    if (this.busy) {
      reply.status(409).json({ error: `${this.busy} is being taken; try again when it is done` });
      return;
    }
    this.busy = what;
    const res = reply.raw;
    job(res)
      .catch((err: unknown) => {
        this.log?.error(`${what} failed: ${messageOf(err)}`);
        if (res.headersSent) res.destroy();
        else answerJson(res, 500, { error: `${what} failed` });
      })
      .finally(() => (this.busy = undefined));
  }

  private async cpuProfile(seconds: number, res: ServerResponse): Promise<void> {
    const session = new Session();
    session.connect();
    try {
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
      this.log?.info(`CPU profile for ${seconds} s started`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          clearTimeout(timer);
          this.stops.delete(stop);
          res.off('close', stop);
          resolve();
        };
        const timer = setTimeout(stop, seconds * 1000);
        this.stops.add(stop);
        res.once('close', stop);
      });
      const { profile } = await session.post('Profiler.stop');
      if (res.destroyed) return;
      res.setHeader('Content-Disposition', `attachment; filename="cpu-${stamp()}.cpuprofile"`);
      answerJson(res, 200, profile);
    } finally {
      session.disconnect();
    }
  }

  private async heapSnapshot(res: ServerResponse): Promise<void> {
    const session = new Session();
    session.connect();
    try {
      res.setHeader('Content-Type', 'application/json');
      res.setHeader('Content-Disposition', `attachment; filename="heap-${stamp()}.heapsnapshot"`);
      session.on('HeapProfiler.addHeapSnapshotChunk', (message) => {
        if (!res.destroyed) res.write(message.params.chunk);
      });
      await session.post('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
      res.end();
    } finally {
      session.disconnect();
    }
  }
}

function answerJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}
