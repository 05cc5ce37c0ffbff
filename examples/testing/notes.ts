import type { Plugin } from 'flavorkit';
import type { HttpHandlers } from 'flavorkit/plugins/http';
import type { Storage } from './storage.js';

/** `GET /notes/:id` and `PUT /notes/:id` over a storage. */
export class NotesPlugin implements Plugin {
  deps!: { http: HttpHandlers; storage: Storage };

  init(): void {
    const { http, storage } = this.deps;
    http.get('/notes/:id', async (req, res) => {
      const note = await storage.get(req.params.id as string);
      if (note) res.json(note);
      else res.status(404).json({ error: `no note ${req.params.id as string}` });
    });
    http.put('/notes/:id', async (req, res) => {
      const text = (req.body as { text?: unknown } | undefined)?.text;
      if (typeof text !== 'string' || !text) {
        res.status(400).json({ error: 'send {"text": "..."}' });
        return;
      }
      const note = { id: req.params.id as string, text };
      await storage.put(note);
      res.status(201).json(note);
    });
  }
}
