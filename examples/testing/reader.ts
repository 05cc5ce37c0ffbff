import { inject, injectable } from 'inversify';
import type { Storage } from './storage.js';

/** An application component (not a plugin) that gets the storage plugin from the agent's container. */
@injectable()
export class NoteReader {
  constructor(@inject('storage') private readonly storage: Storage) {}

  async text(id: string): Promise<string | undefined> {
    return (await this.storage.get(id))?.text;
  }
}
