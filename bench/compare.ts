// What the server benchmarks share: a server in a child process that announces its
// port and counts its CPU, and the report of two servers measured in the same run.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { onCpu } from './load.js';

/** One measured run: operations/s and server CPU µs per operation. */
export interface Run {
  rate: number;
  cpu: number;
}

/** In the server process: prints the port; SIGUSR1 restarts the CPU count; SIGTERM prints it and stops. */
export function announce(port: number, stop: () => void): void {
  let since = process.cpuUsage();
  // the benchmark warms the server up first, then starts the count afresh
  process.on('SIGUSR1', () => (since = process.cpuUsage()));
  console.log(`port ${port}`);
  process.once('SIGTERM', () => {
    const { user, system } = process.cpuUsage(since);
    console.log(`cpu ${user + system}`);
    process.stdin.destroy();
    stop();
  });
  // never outlive the benchmark: its end of our stdin closing means it is gone
  process.stdin.resume();
  process.stdin.once('end', () => process.exit(0));
}

/** A server started as `<script> serve <kind>` in a child process, once it printed its port. */
export async function startServer(
  script: string,
  kind: string,
): Promise<{ port: string; restartCpu(): void; stop(): Promise<number> }> {
  const [command, args] = onCpu(1, process.execPath, ['--import', 'tsx', script, 'serve', kind]);
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /port (\d+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once('exit', () => reject(new Error(`${kind} server exited: ${out}`)));
  });
  return {
    port,
    restartCpu: () => void child.kill('SIGUSR1'),
    /** Stops the server; resolves with the CPU µs it spent since the last restart. */
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
      return Number(/cpu (\d+)/.exec(out)?.[1] ?? NaN);
    },
  };
}

/** Prints both series, their means and the ratios against the baseline. */
export function report(
  unit: string,
  baseline: { name: string; runs: Run[] },
  subject: { name: string; runs: Run[] },
  target: number,
): void {
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const width = Math.max(baseline.name.length, subject.name.length) + 1;
  for (const { name, runs } of [baseline, subject]) {
    console.log(
      `${`${name}:`.padEnd(width)} ${runs.map((r) => r.rate.toFixed(0)).join(', ')} ${unit}s/s (mean ${mean(runs.map((r) => r.rate)).toFixed(0)}); ` +
        `server CPU ${mean(runs.map((r) => r.cpu)).toFixed(1)} µs/${unit}`,
    );
  }
  const rateShare =
    (100 * mean(subject.runs.map((r) => r.rate))) / mean(baseline.runs.map((r) => r.rate));
  const cpuShare =
    (100 * mean(baseline.runs.map((r) => r.cpu))) / mean(subject.runs.map((r) => r.cpu));
  console.log(
    `${subject.name} / ${baseline.name}: ${rateShare.toFixed(1)}% of the ${unit}s/s (target >= ${target}%)`,
  );
  console.log(`${baseline.name} CPU per ${unit} / ${subject.name}'s: ${cpuShare.toFixed(1)}%`);
}
