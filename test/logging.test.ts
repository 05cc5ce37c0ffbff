import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  Agent,
  ConfigError,
  Embed,
  Flavor,
  type InitContext,
  LogRegistry,
  Plug,
} from '../src/index.js';
import { LocalFlavor } from '../flavors/local/index.js';
import { captureLines } from './helpers/recording.js';

class ChattyPlugin {
  log?: InitContext['log'];
  init(ctx: InitContext): void {
    this.log = ctx.log;
  }
}

@Flavor()
class App {
  @Embed() local = new LocalFlavor();
  @Plug() chatty = new ChattyPlugin();
}

describe('log registry', () => {
  it('writes one JSON object per line with agent and logger names', () => {
    const { stream, lines } = captureLines();
    const logs = new LogRegistry({ agent: 'shop', stream, format: 'json' });
    logs.logger('db').info('connected', { host: 'db.local' });
    expect(JSON.parse(lines[0]!)).toMatchObject({
      agent: 'shop',
      logger: 'db',
      level: 'info',
      message: 'connected',
      host: 'db.local',
    });
  });

  it('writes human-friendly lines when pretty, coloured only on a TTY', () => {
    const { stream, lines } = captureLines();
    const logs = new LogRegistry({ agent: 'shop', stream, format: 'pretty' });
    logs.logger('db').warn('slow query', { ms: 812 });
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} warn {2}\[shop\/db\] slow query ms=812$/);

    const tty = Object.assign(new PassThrough(), { isTTY: true });
    const chunks: string[] = [];
    tty.on('data', (c: Buffer) => chunks.push(c.toString()));
    new LogRegistry({ agent: 'shop', stream: tty }).logger('db').error('down');
    expect(chunks.join('')).toContain('\x1b[31merror');
  });

  it('filters by a level per logger and a default, changeable at run time', () => {
    const { stream, lines } = captureLines();
    const logs = new LogRegistry({
      stream,
      format: 'json',
      level: 'warn',
      levels: { db: 'debug' },
    });
    logs.logger('db').debug('db detail');
    logs.logger('http').info('http info');
    logs.setLevel('http', 'info');
    logs.logger('http').info('http info again');
    logs.setLevel('*', 'error');
    logs.logger('cache').warn('cache warn');
    expect(lines.map((l) => (JSON.parse(l) as { message: string }).message)).toEqual([
      'db detail',
      'http info again',
    ]);
    expect(logs.list()).toEqual([
      { name: 'cache', level: 'error' },
      { name: 'db', level: 'debug' },
      { name: 'http', level: 'info' },
    ]);
  });
});

describe('logging through an agent', () => {
  it('takes the level from {AGENT}_LOG_LEVEL and refuses an unknown level', () => {
    const { stream, lines } = captureLines();
    const agent = new Agent([], {
      name: 'shop',
      env: { SHOP_LOG_LEVEL: 'debug' },
      log: { stream, format: 'json' },
    });
    agent.logs.logger('x').debug('visible');
    expect(lines).toHaveLength(1);
    expect(() => new Agent([], { name: 'shop', env: { SHOP_LOG_LEVEL: 'loud' } })).toThrow(
      ConfigError,
    );
  });

  it("logs through the flavor's logs plugin, so a level change reaches each plugin's ctx.log", async () => {
    const { stream, lines } = captureLines();
    const app = new App();
    const agent = new Agent(app, { name: 'shop', log: { stream, format: 'json', level: 'warn' } });
    expect(agent.logs).toBe(app.local.logs);
    await agent.start();
    app.chatty.log!.debug('hidden');
    app.local.logs.setLevel('chatty', 'debug');
    app.chatty.log!.debug('shown');
    await agent.stop();
    const messages = lines.map((l) => JSON.parse(l) as { logger: string; message: string });
    expect(messages.filter((m) => m.logger === 'chatty').map((m) => m.message)).toEqual(['shown']);
  });

  it('applies the logs plugin configuration: levels per logger from the environment', async () => {
    const { stream, lines } = captureLines();
    const app = new App();
    const agent = new Agent(app, {
      name: 'shop',
      env: { SHOP_LOGS_LEVELS: '{"chatty":"debug"}', SHOP_LOGS_LEVEL: 'error' },
      log: { stream, format: 'json' },
    });
    await agent.start();
    app.chatty.log!.debug('detail');
    await agent.stop();
    expect(lines.filter((l) => l.includes('"logger":"chatty"'))).toHaveLength(1);
    expect(lines.some((l) => l.includes('started in'))).toBe(false);
  });
});
