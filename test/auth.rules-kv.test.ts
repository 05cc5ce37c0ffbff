import { afterAll, beforeAll, expect, it } from 'vitest';
import { Agent, Flavor, Plug } from '../src/index.js';
import { AuthPlugin } from '../plugins/auth/index.js';
import { KvPlugin } from '../plugins/kv/index.js';
import { captureLines } from './helpers/recording.js';

const KEY = 'config/auth-rules';

@Flavor()
class App {
  @Plug() kv = new KvPlugin();
  @Plug() auth = new AuthPlugin();
  inject(): void {
    this.auth.deps = { kv: this.kv };
  }
}

const app = new App();
const logs = captureLines();
const agent = new Agent(app, {
  name: 'svc',
  env: {},
  config: {
    auth: {
      secret: 'kv-rules-test-secret-of-at-least-32-chars',
      rulesKey: KEY,
      rules: [{ match: '/configured', public: true }],
    },
  },
  log: { level: 'info', stream: logs.stream, format: 'json' },
});
beforeAll(() => agent.start());
afterAll(() => agent.stop());

const open = async (path: string) => (await app.auth.decide({ path }, undefined)).allowed;

it('follows the rules key: its value while it exists, the configured rules once it is deleted', async () => {
  expect(await open('/configured')).toBe(true);
  expect(await open('/from-kv')).toBe(false);

  await app.kv.put(KEY, [{ match: '/from-kv', public: true }]);
  await expect.poll(() => open('/from-kv')).toBe(true);
  expect(await open('/configured')).toBe(false);

  await app.kv.put(KEY, [{ match: 'no-slash' }]);
  await expect.poll(() => logs.lines.some((l) => l.includes('are refused'))).toBe(true);
  expect(await open('/from-kv')).toBe(true);

  await app.kv.put(`${KEY}-other`, []);
  await app.kv.delete(KEY);
  await expect.poll(() => open('/configured')).toBe(true);
  expect(await open('/from-kv')).toBe(false);
});

it('refuses a rules key without the KV plugin wired, naming the setting', async () => {
  const lonely = new Agent([new AuthPlugin()], {
    name: 'svc',
    env: {},
    config: { auth: { secret: 'kv-rules-test-secret-of-at-least-32-chars', rulesKey: KEY } },
    log: { level: 'error', stream: captureLines().stream },
  });
  await expect(lonely.start()).rejects.toThrow(/rulesKey/);
});
