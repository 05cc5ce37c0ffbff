import { mockPlugin, testAgent } from 'flavorkit/testing';
import { describe, expect, it } from 'vitest';
import { NotesFlavor } from './flavor.js';
import { NoteReader } from './reader.js';
import type { Note } from './storage.js';

/** An in-memory stand-in for the file storage. */
function memoryStorage(notes: Note[] = []) {
  const byId = new Map(notes.map((n) => [n.id, n]));
  return mockPlugin({
    get: async (id: string) => byId.get(id),
    put: async (note: Note) => void byId.set(note.id, note),
    clear: async () => byId.clear(),
    byId,
  });
}

describe('notes service', () => {
  it('answers from the storage it was wired to', async () => {
    const storage = memoryStorage([{ id: 'a', text: 'buy milk' }]);
    const t = await testAgent(new NotesFlavor(), { swap: { storage } });

    expect(await t.request('GET', '/notes/a')).toMatchObject({
      status: 200,
      body: { id: 'a', text: 'buy milk' },
    });
    expect((await t.request('GET', '/notes/zz')).status).toBe(404);
  });

  it('stores what it is given and refuses an empty note', async () => {
    const storage = memoryStorage();
    const t = await testAgent(new NotesFlavor(), { swap: { storage } });

    const created = await t.request('PUT', '/notes/b', { body: { text: 'call mum' } });
    expect(created.status).toBe(201);
    expect(created.headers['content-type']).toContain('application/json');
    expect(storage.byId.get('b')).toEqual({ id: 'b', text: 'call mum' });
    expect((await t.request('PUT', '/notes/c', { body: {} })).status).toBe(400);
  });

  it('starts the storage before the notes API and stops it after', async () => {
    const t = await testAgent(new NotesFlavor(), { swap: { storage: memoryStorage() } });
    await t.stop();

    const ours = t.calls.filter((c) => /^(storage|notes|http)\./.test(c));
    expect(ours).toEqual([
      'http.init',
      'storage.init',
      'notes.init',
      'http.afterInit',
      'storage.afterInit',
      'storage.beforeClose',
      'http.beforeClose',
      'storage.close',
      'http.close',
    ]);
  });

  it('fails the start, naming the storage, when it cannot start', async () => {
    const broken = mockPlugin(memoryStorage(), { fail: 'init' });
    const t = await testAgent(new NotesFlavor(), { swap: { storage: broken }, start: false });

    await expect(t.agent.start()).rejects.toMatchObject({
      code: 'FK_PLUGIN_START',
      plugin: 'storage',
    });
    expect(broken.calls).toEqual(['init']);
  });

  it('runs without diagnostics and metrics, with an extra plugin appended', async () => {
    const extra = mockPlugin();
    const t = await testAgent(new NotesFlavor(), {
      swap: { storage: memoryStorage() },
      remove: ['rpc.diagnostics', 'prometheus'], // field paths or names
      add: { extra }, // appended, by name
    });

    const names = t.agent.plugins.map((p) => p.name);
    expect(names).not.toContain('diagnostics');
    expect(names).not.toContain('prometheus');
    expect(names.at(-1)).toBe('extra');
    expect(extra.calls).toEqual(['init', 'afterInit']);
    expect((await t.request('GET', '/metrics')).status).toBe(404);
  });

  it('hands plugins to application components through the container, and re-binds them', async () => {
    const t = await testAgent(new NotesFlavor(), {
      swap: { storage: memoryStorage([{ id: 'a', text: 'buy milk' }]) },
    });

    t.agent.container.bind(NoteReader).toSelf();
    expect(await t.agent.container.get(NoteReader).text('a')).toBe('buy milk');

    t.agent.container
      .rebind('storage')
      .toConstantValue(memoryStorage([{ id: 'a', text: 'from a re-bound storage' }]));
    expect(await t.agent.container.get(NoteReader).text('a')).toBe('from a re-bound storage');
  });
});
