import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * A fresh PGlite data directory, dumped once per PGlite version into the OS
 * temp folder: starting from it skips `initdb`, which takes seconds of CPU.
 */
export interface Template {
  /** The dump, or `undefined` when none was made yet or it cannot be read. */
  read(): Promise<Blob | undefined>;
  /** Keeps a dump of a data directory nothing has written to yet; failures are ignored. */
  write(dump: Blob): Promise<void>;
}

/** The template file of the installed PGlite version. */
export function pgliteTemplate(): Template {
  const file = join(tmpdir(), 'flavorkit-pglite', `template-${pgliteVersion()}.tar`);
  return {
    read: async () => {
      try {
        return new Blob([await readFile(file)]);
      } catch {
        return undefined;
      }
    },
    write: async (dump) => {
      try {
        await mkdir(dirname(file), { recursive: true });
        // written aside, then renamed: a reader never sees half a file
        const partial = `${file}.${process.pid}.partial`;
        await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
        await rename(partial, file);
      } catch {
        // without a template the next start runs initdb again; nothing else is lost
      }
    },
  };
}

function pgliteVersion(): string {
  try {
    const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
    const pkg = join(dirname(entry), '..', 'package.json');
    return (createRequire(import.meta.url)(pkg) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
