import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, Embed, Flavor, Plug, type Plugin } from '../src/index.js';
import { RpcFlavor } from '../flavors/rpc/index.js';
import type { HttpHandlers } from '../plugins/http/index.js';
import { captureLines } from './helpers/recording.js';

const CHROMIUM = '/usr/bin/chromium';
// CI installs Chromium (.ci/run); elsewhere the browser test runs when it is there.
const browserTest = existsSync(CHROMIUM) || process.env.CI ? it : it.skip;

class ShopPlugin implements Plugin {
  deps!: { http: HttpHandlers; search: Plugin };
  init(): void {
    this.deps.http.get('/shop', (_req, res) => void res.json({ open: true }));
  }
}

class SearchPlugin implements Plugin {
  init(): void {}
}

@Flavor()
class ShopFlavor {
  @Embed() rpc = new RpcFlavor();
  @Plug() search = new SearchPlugin();
  @Plug() shop = new ShopPlugin();
  inject(): void {
    this.shop.deps = { http: this.rpc.http, search: this.search };
  }
}

describe('diagnostics', () => {
  const app = new ShopFlavor();
  const agent = new Agent(app, {
    name: 'shop',
    env: {},
    config: { http: { port: 0 } },
    log: { stream: captureLines().stream },
  });
  let url = '';

  beforeAll(async () => {
    await agent.start();
    url = `http://127.0.0.1:${app.rpc.http.address().port}`;
  });
  afterAll(() => agent.stop());

  it('serves every plugin with state, init duration, dependencies and timeline as JSON', async () => {
    const report = (await (await fetch(`${url}/diagnostics.json`)).json()) as {
      agent: { name: string; state: string };
      plugins: Array<{
        name: string;
        health: string;
        dependsOn: string[];
        timings: { init?: number };
      }>;
      timeline: Array<{ plugin: string; phase: string; startMs: number; durationMs: number }>;
    };
    expect(report.agent).toMatchObject({ name: 'shop', state: 'ok' });
    expect(report.plugins.map((p) => p.name)).toEqual(agent.plugins.map((p) => p.name));
    const shop = report.plugins.find((p) => p.name === 'shop')!;
    expect(shop).toMatchObject({ health: 'ok', dependsOn: ['http', 'search'] });
    expect(shop.timings.init).toBeGreaterThanOrEqual(0);
    const bars = report.timeline;
    for (let i = 1; i < bars.length; i++) {
      // one call at a time: each bar begins once the one before it ended
      expect(bars[i]!.startMs).toBeGreaterThanOrEqual(
        bars[i - 1]!.startMs + bars[i - 1]!.durationMs - 1e-6,
      );
    }
  });

  it('escapes plugin names and errors in the page', async () => {
    const html = await (await fetch(`${url}/diagnostics`)).text();
    expect(html).toContain('<!doctype html>');
    expect(html).not.toMatch(/<script|https?:\/\/(?!127\.0\.0\.1)/);
  });

  browserTest(
    'renders the plugin rows, the timeline and the dependency graph in a real browser',
    async () => {
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      });
      try {
        const page = await browser.newPage();
        await page.goto(`${url}/diagnostics`);
        const rows = await page
          .locator('tr.plugin')
          .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-plugin')));
        expect(rows).toEqual(agent.plugins.map((p) => p.name));
        expect(await page.locator('#graph .node').count()).toBe(agent.plugins.length);
        const edges = agent.plugins.reduce((n, p) => n + p.dependsOn.length, 0);
        expect(await page.locator('#graph .edge').count()).toBe(edges);
        const graph = await page.locator('#graph').boundingBox();
        expect(graph!.width).toBeGreaterThan(300);
        expect(await page.locator('#timeline rect').count()).toBeGreaterThan(agent.plugins.length);
        const shot = join(mkdtempSync(join(tmpdir(), 'flavorkit-diagnostics-')), 'diagnostics.png');
        await page.screenshot({ path: shot, fullPage: true });
        expect(statSync(shot).size).toBeGreaterThan(10_000);
        console.log(`diagnostics screenshot: ${shot}`);
      } finally {
        await browser.close();
      }
    },
    60_000,
  );
});
