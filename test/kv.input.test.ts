import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KvError } from '../src/index.js';
import type { Codec } from '../plugins/kv/index.js';
import {
  collect,
  kvTargets,
  startKv,
  stopTargets,
  until,
  type KvTarget,
  type StartedKv,
} from './helpers/kv.js';

const targets = await kvTargets();
afterAll(() => stopTargets(targets));

/** JSON, except that it throws `undefined` for values marked poison, and cannot read "unreadable". */
const picky: Codec = {
  encode(value) {
    if ((value as { poison?: boolean } | null)?.poison) throw undefined;
    return JSON.stringify(value);
  },
  decode(text) {
    if (text === '"unreadable"') throw new Error('unknown format');
    return JSON.parse(text) as unknown;
  },
};

async function refused(call: () => Promise<unknown>, reason: string): Promise<KvError> {
  const err = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KvError);
  expect(err).toMatchObject({ code: 'FK_KV', reason, plugin: 'kv' });
  return err as KvError;
}

/** Watches `prefix` on `kv`, keeping the values put; `done` resolves once `last` came. */
async function watchPuts(kv: StartedKv['kv'], prefix: string, last: string) {
  const delivered: unknown[] = [];
  const wait = until(() => delivered.includes(last));
  const watch = await kv.watch(prefix, (e) => {
    if (e.type === 'put') delivered.push(e.value);
    wait.poke();
  });
  return { delivered, done: wait.done, close: () => watch.close() };
}

describe.each(targets)('bad input on $kind', (target: KvTarget) => {
  let s: StartedKv;
  beforeAll(async () => {
    s = await startKv({ ...target.settings(), maxValueBytes: 64 * 1024 }, { codec: picky });
  });
  afterAll(() => s.stop());

  it('treats / as an ordinary character: leading, doubled and trailing slashes round-trip', async () => {
    const { kv } = s;
    const keys = ['/', '//', '/a//b', '/a/', 'plain', '/a/b/', '/ab'];
    for (const key of keys) await kv.put(`/slash${key}`, key);
    for (const key of keys) expect((await kv.get(`/slash${key}`))?.value).toBe(key);
    expect(await collect(kv.keys('/slash/a/'))).toEqual([
      '/slash/a/',
      '/slash/a//b',
      '/slash/a/b/',
    ]);
    expect(await collect(kv.withPrefix('/slash').keys('/a'))).toEqual([
      '/a/',
      '/a//b',
      '/a/b/',
      '/ab',
    ]);
  });

  it('refuses empty, non-string, NUL-holding and over-long keys', async () => {
    const { kv } = s;
    await refused(() => kv.put('', 1), 'invalid-key');
    await refused(() => kv.get(42 as unknown as string), 'invalid-key');
    await refused(() => kv.put('/a\0b', 1), 'invalid-key');
    const err = await refused(() => kv.put(`/${'k'.repeat(5_000)}`, 1), 'invalid-key');
    expect(err.message).toMatch(/4096 bytes/);
    await refused(() => kv.delete(''), 'invalid-key');
  });

  it('refuses a value over the limit with the sizes in the message, writing nothing', async () => {
    const { kv } = s;
    const huge = 'x'.repeat(70 * 1024);
    const err = await refused(() => kv.put('/big', huge), 'value-too-large');
    expect(err.message).toMatch(/71682 bytes, more than the limit of 65536/);
    expect(err.advice).toMatch(/maxValueBytes/);
    const before = await kv.revision();
    await refused(
      () =>
        kv.transaction({
          then: [
            { put: '/big/ok', value: 'fine' },
            { put: '/big/no', value: huge },
          ],
        }),
      'value-too-large',
    );
    expect(await kv.get('/big/ok')).toBeUndefined();
    expect(await kv.revision()).toBe(before);
  });

  it('reports a codec that throws (even undefined) and writes nothing of the transaction', async () => {
    const { kv } = s;
    const before = await kv.revision();
    await refused(() => kv.put('/codec/a', { poison: true }), 'codec');
    await refused(
      () =>
        kv.transaction({
          then: [
            { put: '/codec/first', value: 1 },
            { put: '/codec/second', value: { poison: true } },
          ],
        }),
      'codec',
    );
    expect(await kv.get('/codec/first')).toBeUndefined();
    expect(await kv.revision()).toBe(before);
  });

  it('names the key a codec cannot decode, and a watch goes on past it', async () => {
    const { kv } = s;
    const watch = await watchPuts(kv, '/dec/', 'fine');
    await kv.put('/dec/a', 'unreadable');
    const err = await refused(() => kv.get('/dec/a'), 'codec');
    expect(err.message).toContain('"/dec/a"');
    expect(err.message).toContain('unknown format');
    await refused(() => collect(kv.list('/dec/')), 'codec');
    await kv.put('/dec/b', 'fine');
    await watch.done;
    expect(watch.delivered).toEqual(['fine']);
    await watch.close();
  });

  it('delivers the readable changes of a transaction that also holds an unreadable value', async () => {
    const { kv } = s;
    const watch = await watchPuts(kv, '/dec2/', 'last');
    await kv.transaction({
      then: [
        { put: '/dec2/a', value: 'unreadable' },
        { put: '/dec2/b', value: 'readable' },
      ],
    });
    await kv.put('/dec2/c', 'last');
    await watch.done;
    expect(watch.delivered).toEqual(['readable', 'last']);
    await watch.close();
  });

  it('refuses undefined values, bad TTLs and bad revisions', async () => {
    const { kv } = s;
    await refused(() => kv.put('/v', undefined), 'invalid-value');
    await refused(() => kv.put('/v', 1, { ttl: -5 }), 'invalid-option');
    await refused(() => kv.put('/v', 1, { ttl: 1.5 }), 'invalid-option');
    await refused(() => kv.compareAndSwap('/v', -1, 1), 'invalid-option');
    await refused(() => kv.transaction({ then: [] }), 'invalid-option');
    expect(await kv.get('/v')).toBeUndefined();
  });
});

describe('a stopped store', () => {
  it('refuses calls with a clear error', async () => {
    const s = await startKv({});
    await s.kv.put('/k', 1);
    await s.stop();
    await refused(() => s.kv.get('/k'), 'closed');
  });
});
