import { describe, expect, it } from 'vitest';
import { testAgent } from '../src/testing/index.js';
import { ENGINES } from '../plugins/http/config.js';
import { connected, RealtimeFlavor, SECRET, subscribed, token } from './helpers/realtime.js';

describe.each(ENGINES)('realtime on engine %s', (engine) => {
  async function started() {
    const t = await testAgent(new RealtimeFlavor(), {
      config: { realtime: { tokenSecret: SECRET }, http: { engine } },
    });
    return { realtime: t.flavor.realtime, port: t.flavor.rpc.http.address().port };
  }

  it('delivers publications over WebSocket', async () => {
    const { realtime, port } = await started();
    const c = await connected(port, 'alice');
    const { sub } = await subscribed(c, 'chat:room');
    const got = new Promise((resolve) => sub.once('publication', (ctx) => resolve(ctx.data)));
    await realtime.publish('chat:room', { text: 'hi' });
    expect(await got).toEqual({ text: 'hi' });
  });

  it('streams the connect reply over SSE, and refuses a cf_connect that is no JSON', async () => {
    const { port } = await started();
    const url = `http://127.0.0.1:${port}/connection/uni_sse`;
    const bad = await fetch(`${url}?cf_connect=nope`);
    expect(bad.status).toBe(400);
    const connect = encodeURIComponent(JSON.stringify({ token: await token('bob') }));
    const controller = new AbortController();
    const res = await fetch(`${url}?cf_connect=${connect}`, { signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toMatch(/^data: .*"connect"/);
    controller.abort();
  });
});
