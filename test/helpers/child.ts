import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/** A child process running a TypeScript file through tsx, with its output collected. */
export interface Child {
  proc: ChildProcess;
  output: () => string;
  /** Resolves when a line equal to (or matching) `line` was printed. */
  waitFor: (line: string | RegExp) => Promise<void>;
  /** Resolves with the exit code (or signal) once the process ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `node --import tsx <file> ...args`, with `env` added to this process's environment. */
export function runTs(file: string, args: string[] = [], env: Record<string, string> = {}): Child {
  return runNode(file, args, env, ['--import', 'tsx']);
}

/** Starts `node ...nodeArgs <file> ...args`, with `env` added to this process's environment. */
export function runNode(
  file: string,
  args: string[] = [],
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
): Child {
  const proc = spawn(process.execPath, [...nodeArgs, file, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  const waiters: Array<{ line: string | RegExp; resolve: () => void }> = [];
  const printed = (line: string | RegExp) =>
    out.split('\n').some((l) => (typeof line === 'string' ? l === line : line.test(l)));
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
    for (const w of [...waiters]) {
      if (printed(w.line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  proc.stdout.on('data', onData);
  proc.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = once(proc, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  return {
    proc,
    output: () => out,
    exited,
    waitFor: (line) =>
      new Promise<void>((resolve, reject) => {
        if (printed(line)) return resolve();
        waiters.push({ line, resolve });
        void exited.then(() =>
          reject(new Error(`exited before printing ${String(line)}:\n${out}`)),
        );
      }),
  };
}

/** The base URL the child's HTTP plugin logged (`listening on http://127.0.0.1:<port>`). */
export function listeningUrl(child: Child): string {
  const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(child.output());
  if (!match) throw new Error(`the child logged no listening address:\n${child.output()}`);
  return match[1]!;
}
