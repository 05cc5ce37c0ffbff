import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { InitContext, Plugin } from 'flavorkit';
import type { HttpHandlers } from 'flavorkit/plugins/http';

/** Serves the chat page and the Centrifuge browser bundle that ships in the `centrifuge` package. */
export class ChatPagePlugin implements Plugin {
  deps!: { http: Pick<HttpHandlers, 'get'> };

  init(ctx: InitContext): void {
    const entry = createRequire(import.meta.url).resolve('centrifuge');
    const bundle = readFileSync(join(dirname(entry), '..', 'dist', 'centrifuge.js'));
    this.deps.http.get('/centrifuge.js', (_req, res) => {
      res.type('application/javascript').send(bundle);
    });
    this.deps.http.get('/', (_req, res) => void res.type('html').send(PAGE));
    ctx.log.info('chat page on /');
  }
}

const PAGE = `<!doctype html>
<html>
<head><meta charset="utf-8"><title>flavorkit chat</title></head>
<body>
<p id="state">connecting</p>
<ul id="messages"></ul>
<form id="form"><input id="text" autocomplete="off"><button>Send</button></form>
<script src="/centrifuge.js"></script>
<script>
  const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/connection/websocket';
  const client = new Centrifuge(url);
  const list = document.getElementById('messages');
  const show = (data) => {
    const li = document.createElement('li');
    li.textContent = data.text;
    list.appendChild(li);
  };
  const sub = client.newSubscription('chat:lobby');
  sub.on('publication', (ctx) => show(ctx.data));
  sub.on('subscribed', async (ctx) => {
    // first visit: what was said before; a reconnect recovers what was missed by itself
    if (!ctx.wasRecovering || !ctx.recovered) {
      list.replaceChildren();
      const history = await sub.history({ limit: 50 });
      history.publications.forEach((p) => show(p.data));
    }
    document.getElementById('state').textContent = 'subscribed';
  });
  client.on('state', (ctx) => (document.getElementById('state').textContent = ctx.newState));
  document.getElementById('form').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = document.getElementById('text');
    sub.publish({ text: input.value });
    input.value = '';
  });
  sub.subscribe();
  client.connect();
</script>
</body>
</html>
`;
