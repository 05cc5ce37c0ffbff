import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IsBoolean, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { describe, expect, it } from 'vitest';
import {
  Agent,
  ConfigError,
  Flavor,
  type InitContext,
  loadConfig,
  Plug,
  type Plugin,
  Setting,
} from '../src/index.js';
import { captureLines, quiet } from './helpers/recording.js';

class DbConfig {
  @Setting({ description: 'server host' })
  @IsString()
  host = 'localhost';

  @IsInt()
  @Min(1)
  @Max(65535)
  port = 5432;

  @IsInt()
  @Min(1)
  poolSize = 4;

  @IsBoolean()
  tls = false;

  tags: string[] = [];

  options: Record<string, unknown> = { ssl: false };

  @Setting({ secret: true, description: 'password' })
  @IsOptional()
  @IsString()
  password?: string;

  @IsOptional()
  @IsInt()
  retries?: number;
}

class DbPlugin implements Plugin {
  static readonly configClass = DbConfig;
  config?: DbConfig;
  init(ctx: InitContext): void {
    this.config = ctx.config(DbConfig);
  }
}

function configDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'flavorkit-config-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const base = { agent: 'greeter-service', plugin: 'primary-db', env: {} };

describe('configuration sources', () => {
  it('applies defaults, then the file, then the environment, then code', () => {
    const dir = configDir({ 'primary-db.yaml': 'host: file-host\nport: 6000\npoolSize: 8\n' });
    const config = loadConfig(DbConfig, {
      ...base,
      dir,
      env: { GREETER_SERVICE_PRIMARY_DB_PORT: '7000', GREETER_SERVICE_PRIMARY_DB_POOL_SIZE: '9' },
      values: { poolSize: 10 },
    });
    expect(config).toBeInstanceOf(DbConfig);
    expect(config).toMatchObject({ host: 'file-host', port: 7000, poolSize: 10, tls: false });
  });

  it('reads .json and .yml files too', () => {
    const json = configDir({ 'primary-db.json': '{"port": 1111}' });
    const yml = configDir({ 'primary-db.yml': 'port: 2222' });
    expect(loadConfig(DbConfig, { ...base, dir: json }).port).toBe(1111);
    expect(loadConfig(DbConfig, { ...base, dir: yml }).port).toBe(2222);
  });

  it('gives two instances of one plugin class their own variables and files', async () => {
    const dir = configDir({ 'analytics-db.yaml': 'host: analytics.local' });
    @Flavor()
    class App {
      @Plug({ name: 'primary-db' }) primary = new DbPlugin();
      @Plug({ name: 'analytics-db' }) analytics = new DbPlugin();
    }
    const app = new App();
    const agent = new Agent(app, {
      ...quiet,
      name: 'greeter-service',
      configDir: dir,
      env: {
        GREETER_SERVICE_PRIMARY_DB_PORT: '5433',
        GREETER_SERVICE_ANALYTICS_DB_PORT: '5434',
      },
    });
    await agent.start();
    await agent.stop();
    expect(app.primary.config).toMatchObject({ host: 'localhost', port: 5433 });
    expect(app.analytics.config).toMatchObject({ host: 'analytics.local', port: 5434 });
  });

  it('finds the config directory from {AGENT}_CONFIG_DIR', async () => {
    const dir = configDir({ 'primary-db.yaml': 'port: 3333' });
    const db = new DbPlugin();
    const agent = new Agent([{ name: 'primary-db', plugin: db }], {
      ...quiet,
      name: 'greeter-service',
      env: { GREETER_SERVICE_CONFIG_DIR: dir },
    });
    await agent.start();
    await agent.stop();
    expect(db.config!.port).toBe(3333);
  });
});

describe('conversion of environment strings', () => {
  const env = (vars: Record<string, string>) =>
    loadConfig(DbConfig, {
      ...base,
      env: Object.fromEntries(
        Object.entries(vars).map(([k, v]) => [`GREETER_SERVICE_PRIMARY_DB_${k}`, v]),
      ),
    });

  it('converts by the default value or the validator type: number, boolean, list, object', () => {
    const config = env({
      PORT: '6543',
      TLS: 'yes',
      TAGS: 'a, b,c',
      OPTIONS: '{"ssl":true}',
      RETRIES: '3',
    });
    expect(config).toMatchObject({
      port: 6543,
      tls: true,
      tags: ['a', 'b', 'c'],
      options: { ssl: true },
      retries: 3,
    });
  });

  it('reports an unparsable value as a validation error naming the variable, never NaN', () => {
    const error = configError(() => env({ PORT: 'eighty', TLS: 'maybe', OPTIONS: '[1]' }));
    expect(error.code).toBe('FK_CONFIG');
    expect(error.issues.map((i) => [i.setting, i.source])).toEqual([
      ['port', 'env GREETER_SERVICE_PRIMARY_DB_PORT'],
      ['tls', 'env GREETER_SERVICE_PRIMARY_DB_TLS'],
      ['options', 'env GREETER_SERVICE_PRIMARY_DB_OPTIONS'],
    ]);
    expect(error.issues[0]!.message).toContain('is not a number');
  });
});

describe('invalid configuration', () => {
  it('lists every bad setting in one error, each with its source', () => {
    const dir = configDir({ 'primary-db.yaml': 'port: 70000\nhost: 12\n' });
    const error = configError(() =>
      loadConfig(DbConfig, {
        ...base,
        dir,
        env: { GREETER_SERVICE_PRIMARY_DB_POOL_SIZE: '0' },
        values: { tls: 'sometimes' },
      }),
    );
    const bySetting = Object.fromEntries(error.issues.map((i) => [i.setting, i.source]));
    expect(bySetting).toEqual({
      host: `file ${join(dir, 'primary-db.yaml')}`,
      port: `file ${join(dir, 'primary-db.yaml')}`,
      poolSize: 'env GREETER_SERVICE_PRIMARY_DB_POOL_SIZE',
      tls: 'code',
    });
    expect(error.plugin).toBe('primary-db');
    expect(error.message).toContain('port');
  });

  it('reports unknown keys in a file, with a hint for a near miss', () => {
    const dir = configDir({ 'primary-db.yaml': 'pool_size: 3\nhots: x\n' });
    const error = configError(() => loadConfig(DbConfig, { ...base, dir }));
    expect(error.issues.map((i) => i.setting)).toEqual(['pool_size', 'hots']);
    expect(error.issues[0]!.message).toContain('did you mean "poolSize"');
  });

  it('refuses prototype-pollution keys in YAML and leaves prototypes untouched', () => {
    const dir = configDir({
      'primary-db.yaml':
        '__proto__:\n  polluted: yes\nconstructor:\n  prototype:\n    polluted: yes\n',
    });
    const error = configError(() => loadConfig(DbConfig, { ...base, dir }));
    expect(error.issues[0]!.message).toContain('forbidden key "__proto__"');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((DbConfig.prototype as unknown as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses a forbidden key given in code too', () => {
    const values = JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    const error = configError(() => loadConfig(DbConfig, { ...base, values }));
    expect(error.issues[0]).toMatchObject({ setting: '__proto__', source: 'code' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('stops the start before any plugin init when a declared configuration is invalid', async () => {
    const calls: string[] = [];
    const first: Plugin = { init: () => void calls.push('first.init') };
    const agent = new Agent(
      [
        { name: 'first', plugin: first },
        { name: 'primary-db', plugin: new DbPlugin() },
      ],
      {
        ...quiet,
        name: 'greeter-service',
        config: { 'primary-db': { port: -1 } },
      },
    );
    await expect(agent.start()).rejects.toBeInstanceOf(ConfigError);
    expect(calls).toEqual([]);
  });
});

describe('secrets', () => {
  const env = { GREETER_SERVICE_PRIMARY_DB_PASSWORD: 'hunter2-s3cret' };

  it('never shows a secret in errors, descriptions or debug logs', async () => {
    const bad = configError(() =>
      loadConfig(DbConfig, { ...base, env, values: { password: 42, port: 'x' } }),
    );
    expect(bad.message).not.toContain('hunter2');

    class Defaulted {
      @Setting({ secret: true }) token = 'default-token-value';
    }
    const agent = new Agent([{ name: 'primary-db', plugin: new DbPlugin() }], {
      name: 'greeter-service',
      env,
    });
    expect(JSON.stringify(agent.describeConfig())).not.toContain('hunter2');
    expect(JSON.stringify(loadConfig(Defaulted, base))).toContain('default-token-value');

    const { stream, lines } = captureLines();
    const debugAgent = new Agent([{ name: 'primary-db', plugin: new DbPlugin() }], {
      name: 'greeter-service',
      env,
      log: { level: 'debug', stream, format: 'json' },
    });
    await debugAgent.start();
    await debugAgent.stop();
    const configLine = lines.find((l) => l.includes('configuration of primary-db'));
    expect(configLine).toContain('"password":"***"');
    expect(lines.join('\n')).not.toContain('hunter2');
  });
});

describe('describeConfig()', () => {
  it('describes every setting with variable, file key, type, default and description, without starting', () => {
    const agent = new Agent([{ name: 'primary-db', plugin: new DbPlugin() }], {
      name: 'greeter-service',
    });
    const rows = agent.describeConfig();
    expect(rows.find((r) => r.setting === 'poolSize')).toEqual({
      plugin: 'primary-db',
      setting: 'poolSize',
      env: 'GREETER_SERVICE_PRIMARY_DB_POOL_SIZE',
      fileKey: 'primary-db.yaml: poolSize',
      type: 'number',
      default: 4,
      description: '',
      secret: false,
    });
    expect(rows.find((r) => r.setting === 'host')!.description).toBe('server host');
    expect(rows.find((r) => r.setting === 'retries')!.type).toBe('number');
    expect(rows.find((r) => r.setting === 'password')).toMatchObject({
      secret: true,
      type: 'string',
    });
    expect(agent.status().state).toBe('idle');
  });
});
