import { Writable } from 'node:stream';
import type { InitContext, Phase, Plugin } from '../../src/index.js';

/** How a recording plugin behaves in one phase: fail, never settle, or settle after ms. */
export type Behaviour = 'throw' | 'hang' | number;

/** A plugin that appends `name.phase` to a shared journal and misbehaves on request. */
export class RecordingPlugin implements Plugin {
  deps: Record<string, unknown> = {};
  signal?: AbortSignal;

  constructor(
    readonly name: string,
    readonly journal: string[],
    readonly behaviour: Partial<Record<Phase, Behaviour>> = {},
  ) {}

  init(ctx: InitContext): void | Promise<void> {
    this.signal = ctx.signal;
    return this.act('init');
  }
  afterInit(): void | Promise<void> {
    return this.act('afterInit');
  }
  beforeClose(): void | Promise<void> {
    return this.act('beforeClose');
  }
  close(): void | Promise<void> {
    return this.act('close');
  }

  private act(phase: Phase): void | Promise<void> {
    this.journal.push(`${this.name}.${phase}`);
    const how = this.behaviour[phase];
    if (how === 'throw') throw new Error(`${this.name} ${phase} broke`);
    if (how === 'hang') return new Promise<void>(() => undefined);
    if (typeof how === 'number') return new Promise<void>((resolve) => setTimeout(resolve, how));
  }
}

/** A fresh journal and a factory of recording plugins writing to it. */
export function journal(): {
  calls: string[];
  plugin: (label: string, behaviour?: Partial<Record<Phase, Behaviour>>) => RecordingPlugin;
} {
  const calls: string[] = [];
  return { calls, plugin: (label, behaviour) => new RecordingPlugin(label, calls, behaviour) };
}

/** Agent log settings that keep test output quiet. */
export const quiet = { log: { level: 'error', stream: captureLines().stream } } as const;

/** A writable stream that keeps each line written, for asserting on log output. */
export function captureLines(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { stream, lines };
}

/** A log stream, and a promise that resolves once a line containing `fragment` was written to it. */
export function lineSeen(fragment: string): { stream: Writable; seen: Promise<void> } {
  let resolve!: () => void;
  const seen = new Promise<void>((r) => (resolve = r));
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (chunk.toString().includes(fragment)) resolve();
      done();
    },
  });
  return { stream, seen };
}
