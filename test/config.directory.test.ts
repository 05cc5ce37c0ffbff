import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IsInt } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/index.js';

class DbConfig {
  @IsInt()
  port = 5432;
}

describe('the config directory', () => {
  it('is refused with a ConfigError when it names a file, instead of being ignored', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'flavorkit-config-')), 'db.yaml');
    writeFileSync(file, 'port: 6000\n');
    const load = () => loadConfig(DbConfig, { agent: 'svc', plugin: 'db', dir: file, env: {} });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/is not a directory/);
    expect(load).toThrow(file);
  });
});
