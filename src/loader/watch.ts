import { watch, type FSWatcher } from 'node:fs';
import { sep } from 'node:path';

/**
 * Watches a directory and, after `debounce` ms without a change, calls
 * `changed` with the sub-folders that changed, or `undefined` when a change
 * came without a file name (then everything is to be read again). A watch
 * that fails (the directory removed) reports to `failed` instead of throwing.
 */
export class FolderWatch {
  private readonly watcher: FSWatcher;
  private timer?: NodeJS.Timeout | undefined;
  private pending: Set<string> | undefined = new Set();

  constructor(
    dir: string,
    debounce: number,
    changed: (entries: Set<string> | undefined) => void,
    failed: (err: unknown) => void,
  ) {
    this.watcher = watch(dir, { recursive: true }, (_event, filename) => {
      const entry = filename ? String(filename).split(sep)[0] : undefined;
      if (entry && this.pending) this.pending.add(entry);
      else this.pending = undefined;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        const entries = this.pending;
        this.pending = new Set();
        changed(entries);
      }, debounce);
    });
    this.watcher.on('error', failed);
  }

  /** Stops watching; a change waiting for its debounce is dropped. */
  close(): void {
    clearTimeout(this.timer);
    this.watcher.close();
  }
}
