import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IsString } from 'class-validator';
import { type InitContext, type Plugin, Setting } from 'flavorkit';

/** A note, as stored. */
export interface Note {
  id: string;
  text: string;
}

/** What the notes plugin needs from storage. */
export interface Storage {
  get(id: string): Promise<Note | undefined>;
  put(note: Note): Promise<void>;
}

/** Settings of the file storage. */
export class FileStorageConfig {
  @Setting({ description: 'directory the notes are kept in' })
  @IsString()
  dir = '.notes';
}

/** Keeps each note as a JSON file. */
export class FileStoragePlugin implements Plugin, Storage {
  static readonly configClass = FileStorageConfig;
  private dir = '';

  async init(ctx: InitContext): Promise<void> {
    this.dir = ctx.config(FileStorageConfig).dir;
    await mkdir(this.dir, { recursive: true });
  }

  async get(id: string): Promise<Note | undefined> {
    try {
      return JSON.parse(await readFile(this.file(id), 'utf8')) as Note;
    } catch {
      return undefined;
    }
  }

  async put(note: Note): Promise<void> {
    await writeFile(this.file(note.id), JSON.stringify(note));
  }

  /** Removes every note; for housekeeping scripts. */
  async clear(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  private file(id: string): string {
    return join(this.dir, `${encodeURIComponent(id)}.json`);
  }
}
