import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IsInt, IsString, Min } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { Agent, ConfigError, loadConfig } from '../src/index.js';

class ServerConfig {
  @IsInt()
  @Min(0)
  port = 8080;

  @IsString()
  host = 'localhost';

  ratio = 1;

  options: Record<string, unknown> = {};
}

const base = { agent: 'svc', plugin: 'server', env: {} };

function issuesOf(run: () => unknown) {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('settings read when the agent is made', () => {
  it.each([
    ['SVC_LOG_LEVEL', 'verbose'],
    ['SVC_LOG_FORMAT', 'xml'],
  ])('refuses %s=%s as a ConfigError naming the variable', (variable, value) => {
    const issues = issuesOf(() => new Agent([], { name: 'svc', env: { [variable]: value } }));
    expect(issues[0]!.source).toBe(`env ${variable}`);
  });

  it('refuses a config directory that does not exist, naming it', async () => {
    const missing = join(tmpdir(), 'flavorkit-no-such-dir-xyz');
    expect(() => loadConfig(ServerConfig, { ...base, dir: missing })).toThrow(missing);
  });
});

describe('environment numbers are plain decimals', () => {
  it.each(['0x6E93', '0o17', '0b11', '2.8e4', '-0', '1_000', ' ', 'Infinity'])(
    'refuses SVC_SERVER_PORT=%j',
    (text) => {
      const issues = issuesOf(() =>
        loadConfig(ServerConfig, { ...base, env: { SVC_SERVER_PORT: text } }),
      );
      expect(issues[0]).toMatchObject({ setting: 'port', source: 'env SVC_SERVER_PORT' });
    },
  );

  it.each([
    ['28000', 28000],
    ['-3', -3],
    ['0.5', 0.5],
  ])('takes %s', (text, value) => {
    const config = loadConfig(ServerConfig, { ...base, env: { SVC_SERVER_RATIO: text } });
    expect(config.ratio).toBe(value);
  });
});

describe('prototype keys are refused at any depth', () => {
  it.each(['__proto__', 'constructor', 'prototype'])('in JSON from the environment: %s', (key) => {
    const text = `{"a": {"b": {"${key}": {"polluted": true}}}}`;
    const issues = issuesOf(() =>
      loadConfig(ServerConfig, { ...base, env: { SVC_SERVER_OPTIONS: text } }),
    );
    expect(issues[0]!.message).toContain(`forbidden key "a.b.${key}"`);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('in values from code', () => {
    const values = JSON.parse('{"options": {"deep": {"__proto__": {"polluted": true}}}}') as Record<
      string,
      unknown
    >;
    const issues = issuesOf(() => loadConfig(ServerConfig, { ...base, values }));
    expect(issues[0]).toMatchObject({ setting: 'options', source: 'code' });
    expect(issues[0]!.message).toContain('options.deep.__proto__');
  });

  it('without hiding the other issues of the same file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flavorkit-config-'));
    writeFileSync(join(dir, 'server.yaml'), 'constructor: 1\nport: -5\nhots: x\n');
    const issues = issuesOf(() => loadConfig(ServerConfig, { ...base, dir }));
    expect(issues.map((i) => i.setting).sort()).toEqual(['constructor', 'hots', 'port']);
  });
});

describe('one ConfigError for the whole agent', () => {
  class PortPlugin {
    static readonly configClass = ServerConfig;
    init(): void {}
  }

  it('lists every bad setting of every plugin, each with its plugin', async () => {
    const agent = new Agent(
      [new PortPlugin(), new PortPlugin()].map((plugin, i) => ({ name: `p${i}`, plugin })),
      {
        name: 'svc',
        env: { SVC_P0_PORT: '-1', SVC_P1_HOST: '', SVC_P1_PORT: '-2' },
        config: { p1: { host: 7 } },
      },
    );
    const err = (await agent.start().catch((e: unknown) => e)) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.issues.map((i) => `${i.plugin}.${i.setting}`).sort()).toEqual([
      'p0.port',
      'p1.host',
      'p1.port',
    ]);
    expect(err.message).toMatch(/plugins "p0", "p1"/);
  });
});
