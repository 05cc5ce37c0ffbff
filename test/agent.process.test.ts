import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runTs } from './helpers/child.js';

const fixture = fileURLToPath(new URL('./fixtures/signal-agent.ts', import.meta.url));

describe('agent.run() in a real process', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('stops on %s and exits 0', async (signal) => {
    const child = runTs(fixture, ['ok']);
    await child.waitFor('ready');
    child.proc.kill(signal);
    const { code } = await child.exited;
    expect(child.output()).toContain('closed');
    expect(child.output()).toContain('run returned 0');
    expect(code).toBe(0);
  });

  it('keeps running until a signal even when no plugin holds a handle', async () => {
    const child = runTs(fixture, ['idle']);
    await child.waitFor('ready');
    child.proc.kill('SIGTERM');
    const { code } = await child.exited;
    expect(child.output()).toContain('run returned 0');
    expect(code).toBe(0);
  });

  it('exits 0 soon after a signal even when a plugin left a timer running', async () => {
    const child = runTs(fixture, ['leak-timer']);
    await child.waitFor('ready');
    child.proc.kill('SIGTERM');
    const { code } = await child.exited;
    expect(child.output()).toContain('run returned 0');
    expect(code).toBe(0);
  });

  it('exits 1 when the start fails, with the plugin named', async () => {
    const child = runTs(fixture, ['fail-start']);
    const { code } = await child.exited;
    expect(code).toBe(1);
    expect(child.output()).toContain('plugin \\"server\\" failed in init: port 1 is not allowed');
  });

  it('exits at once on a second signal while stopping', async () => {
    const child = runTs(fixture, ['slow-close']);
    await child.waitFor('ready');
    child.proc.kill('SIGTERM');
    await child.waitFor('closed');
    child.proc.kill('SIGTERM');
    const { code } = await child.exited;
    expect(code).toBe(1);
    expect(child.output()).not.toContain('run returned');
  });

  it('leaves no handle behind: the process ends by itself after stop()', async () => {
    const child = runTs(fixture, ['stop-only']);
    const { code } = await child.exited;
    expect(child.output()).toContain('stopped');
    expect(code).toBe(0);
  });

  it('exits 1 after a failed start even when a plugin that timed out left a timer', async () => {
    const child = runTs(fixture, ['stray-timer']);
    const { code } = await child.exited;
    expect(code).toBe(1);
    expect(child.output()).toContain('did not finish init within 100 ms');
  });

  it.each([
    ['reject-later', 'unhandled rejection: lost write'],
    ['throw-later', 'uncaught exception: handler crashed'],
  ])(
    'answers a fault after start (%s) with a log line, a graceful stop and exit 1',
    async (mode, line) => {
      const child = runTs(fixture, [mode]);
      const { code } = await child.exited;
      expect(code).toBe(1);
      const out = child.output();
      expect(out).toContain(line);
      expect(out.indexOf('draining')).toBeGreaterThan(out.indexOf(line));
      expect(out.indexOf('closed')).toBeGreaterThan(out.indexOf('draining'));
      expect(out).toContain('process exiting with code 1');
    },
  );

  it('logs that the process exits when a plugin calls process.exit', async () => {
    const child = runTs(fixture, ['exit-in-plugin']);
    const { code } = await child.exited;
    expect(code).toBe(3);
    expect(child.output()).toContain('process exiting with code 3');
  });
});
