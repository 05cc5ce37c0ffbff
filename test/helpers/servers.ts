import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, chownSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A server process a test started itself, on a free loopback port; never one of the shared servers. */
export interface OwnServer {
  readonly port: number;
  readonly dir: string;
  /** Kills the process (SIGKILL by default) and waits until it is gone; the data directory stays. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the same server again on the same port and data directory. */
  restart(): Promise<void>;
  /**
   * Stops the process without ending it (SIGSTOP): its sockets stay open and nothing
   * answers. Resolves once every thread of it is stopped.
   */
  pause(): Promise<void>;
  /** Lets a paused process go on (SIGCONT). */
  resume(): void;
  /** Kills the process and removes its data directory. */
  stop(): Promise<void>;
}

/** The shared servers every machine runs, on their standard ports. */
export const shared = {
  postgres: { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' },
  redis: { url: 'redis://127.0.0.1:6379' },
  nats: { servers: '127.0.0.1:4222' },
  amqp: { url: 'amqp://guest:guest@127.0.0.1:5672' },
} as const;

/** A short random suffix for a test's own database, key prefix, stream or vhost. */
export function suffix(): string {
  return Math.random().toString(36).slice(2, 10);
}

/** Deletes a test's JetStream stream from the shared NATS, if it is there. */
export async function deleteNatsStream(name: string): Promise<void> {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const nc = await connect({ servers: shared.nats.servers });
  await (await jetstreamManager(nc)).streams.delete(name).catch(() => false);
  await nc.close();
}

/** A TCP port on 127.0.0.1 that nothing listens on at the moment of the call. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** Resolves once a TCP connection to `port` succeeds; rejects after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline)
      throw new Error(`nothing answered on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Spec {
  /** Runs once before the first start (e.g. initdb). */
  prepare?(dir: string, port: number): void;
  command(dir: string, port: number): { file: string; args: string[]; uid?: number };
}

/** How often a first start is tried, each on a new port, before the test fails. */
const FIRST_START_TRIES = 3;

async function startOwn(name: string, spec: Spec): Promise<OwnServer> {
  let port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `flavorkit-${name}-`));
  spec.prepare?.(dir, port);
  let proc: ChildProcess | undefined;
  const start = async () => {
    const { file, args, uid } = spec.command(dir, port);
    const child = spawn(file, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      ...(uid === undefined ? {} : { uid, gid: uid }),
    });
    proc = child;
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    child.unref();
    (child.stderr as Socket | null)?.unref();
    const died = once(child, 'exit').then(([code]) => {
      throw new Error(
        `${name} on port ${port} exited with code ${String(code)} while starting: ${stderr.trim()}`,
      );
    });
    died.catch(() => undefined);
    await Promise.race([waitForPort(port), died]);
  };
  // another process may take the free port before the server binds it: try again on a new one
  const firstStart = async (tries: number): Promise<void> => {
    try {
      await start();
    } catch (err) {
      if (tries <= 1 || proc?.exitCode === null) throw err;
      port = await freePort();
      await firstStart(tries - 1);
    }
  };
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    const child = proc;
    proc = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = once(child, 'exit');
    child.kill(signal);
    await gone;
  };
  await firstStart(FIRST_START_TRIES);
  return {
    get port() {
      return port;
    },
    dir,
    kill,
    restart: start,
    pause: async () => {
      const pid = proc?.pid;
      if (pid === undefined) return;
      process.kill(pid, 'SIGSTOP');
      while (!stopped(pid)) await new Promise((r) => setTimeout(r, 5));
    },
    resume: () => void proc?.kill('SIGCONT'),
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** True when every thread of `pid` is stopped (Linux: state T in /proc/<pid>/task/<tid>/stat). */
function stopped(pid: number): boolean {
  const tasks = readdirSync(`/proc/${pid}/task`);
  return tasks.every((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'T';
  });
}

/** A Redis server of the test's own, without persistence; `args` are added to its command line. */
export function ownRedis(args: string[] = []): Promise<OwnServer> {
  return startOwn('redis', {
    command: (dir, port) => ({
      file: 'redis-server',
      args: [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        ...args,
      ],
    }),
  });
}

/** A NATS server with JetStream of the test's own, storing in its temp directory. */
export function ownNats(): Promise<OwnServer> {
  return startOwn('nats', {
    command: (dir, port) => ({
      file: 'nats-server',
      args: ['-js', '-p', String(port), '-sd', dir, '-a', '127.0.0.1'],
    }),
  });
}

/** An etcd server of the test's own (Debian's etcd-server). */
export function ownEtcd(): Promise<OwnServer> {
  return startOwn('etcd', {
    command: (dir, port) => ({
      file: 'etcd',
      args: [
        '--data-dir',
        join(dir, 'data'),
        '--listen-client-urls',
        `http://127.0.0.1:${port}`,
        '--advertise-client-urls',
        `http://127.0.0.1:${port}`,
        '--listen-peer-urls',
        'http://127.0.0.1:0',
        '--log-level',
        'error',
      ],
    }),
  });
}

function postgresUid(): number {
  const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  return Number(id.stdout.trim());
}

/** A PostgreSQL 15 server of the test's own, run as the `postgres` user (initdb refuses root), trust auth. */
export function ownPostgres(): Promise<OwnServer> {
  const bin = '/usr/lib/postgresql/15/bin';
  const uid = postgresUid();
  return startOwn('postgres', {
    prepare: (dir) => {
      chmodSync(dir, 0o700);
      chownSync(dir, uid, uid);
      const init = spawnSync(
        `${bin}/initdb`,
        ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres'],
        {
          uid,
          gid: uid,
          encoding: 'utf8',
        },
      );
      if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
    },
    command: (dir, port) => ({
      file: `${bin}/postgres`,
      args: [
        '-D',
        join(dir, 'data'),
        '-p',
        String(port),
        '-k',
        dir,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'fsync=off',
      ],
      uid,
    }),
  });
}
