import { Embed, Flavor, Plug } from 'flavorkit';
import { RpcFlavor } from 'flavorkit/flavors/rpc';
import { NotesPlugin } from './notes.js';
import { FileStoragePlugin } from './storage.js';

/** A notes service: the RPC flavor, a file storage and the notes API on top. */
@Flavor()
export class NotesFlavor {
  @Embed() rpc = new RpcFlavor();
  @Plug() storage = new FileStoragePlugin();
  @Plug() notes = new NotesPlugin();

  inject(): void {
    this.notes.deps = { http: this.rpc.http, storage: this.storage };
  }
}
