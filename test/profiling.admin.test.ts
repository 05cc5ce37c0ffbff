import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, Embed, Flavor, Plug } from '../src/index.js';
import { RpcFlavor } from '../flavors/rpc/index.js';
import { ENGINES } from '../plugins/http/config.js';
import { ProfilingPlugin } from '../plugins/profiling/index.js';
import { captureLines } from './helpers/recording.js';

const TOKEN = 'profiling-admin-token';
const admin = { authorization: `Bearer ${TOKEN}` };

@Flavor()
class App {
  @Embed() rpc = new RpcFlavor();
  @Plug() profiling = new ProfilingPlugin();
  inject(): void {
    this.profiling.deps = { http: this.rpc.http };
  }
}

describe.each(ENGINES)('on engine %s', (engine) => {
  const app = new App();
  const agent = new Agent(app, {
    name: 'svc',
    env: {},
    config: { http: { port: 0, adminToken: TOKEN, engine }, profiling: { maxSeconds: 5 } },
    log: { level: 'error', stream: captureLines().stream },
  });
  let base: string;
  beforeAll(async () => {
    await agent.start();
    base = `http://127.0.0.1:${app.rpc.http.address().port}`;
  });
  afterAll(() => agent.stop());

  describe('profiling routes', () => {
    it('are admin-protected', async () => {
      expect((await fetch(`${base}/debug/profile?seconds=1`)).status).toBe(401);
      expect(
        (await fetch(`${base}/debug/heap`, { headers: { authorization: 'Bearer wrong' } })).status,
      ).toBe(403);
    });

    it('take a CPU profile for the seconds asked, one at a time, within the bound', async () => {
      expect((await fetch(`${base}/debug/profile?seconds=6`, { headers: admin })).status).toBe(400);
      expect((await fetch(`${base}/debug/profile?seconds=abc`, { headers: admin })).status).toBe(
        400,
      );
      const began = Date.now();
      const both = await Promise.all(
        [1, 2].map(() => fetch(`${base}/debug/profile?seconds=1`, { headers: admin })),
      );
      expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
      const res = both.find((r) => r.status === 200)!;
      expect(Date.now() - began).toBeGreaterThanOrEqual(900);
      expect(res.headers.get('content-disposition')).toMatch(/\.cpuprofile"$/);
      const profile = (await res.json()) as {
        nodes: unknown[];
        startTime: number;
        endTime: number;
      };
      expect(profile.nodes.length).toBeGreaterThan(0);
      expect(profile.endTime).toBeGreaterThan(profile.startTime);
    });

    it('take a heap snapshot', async () => {
      const res = await fetch(`${base}/debug/heap`, { headers: admin });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-disposition')).toMatch(/\.heapsnapshot"$/);
      const snapshot = (await res.json()) as { snapshot: { node_count: number } };
      expect(snapshot.snapshot.node_count).toBeGreaterThan(0);
    }, 60_000);

    it('end a running CPU profile early when the agent stops', async () => {
      const other = new App();
      const logs = captureLines();
      const stopping = new Agent(other, {
        name: 'svc',
        env: {},
        config: { http: { port: 0, adminToken: TOKEN }, profiling: { maxSeconds: 30 } },
        log: { level: 'info', stream: logs.stream, format: 'json' },
      });
      await stopping.start();
      const url = `http://127.0.0.1:${other.rpc.http.address().port}/debug/profile?seconds=30`;
      const began = Date.now();
      const profile = fetch(url, { headers: admin });
      await expect
        .poll(() => logs.lines.some((l) => l.includes('CPU profile for 30 s started')))
        .toBe(true);
      await stopping.stop();
      const res = await profile;
      expect(res.status).toBe(200);
      expect(((await res.json()) as { nodes: unknown[] }).nodes.length).toBeGreaterThan(0);
      expect(Date.now() - began).toBeLessThan(15_000);
    });
  });
});
