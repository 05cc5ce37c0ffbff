/** The loader's events. */
export interface LoaderEvents {
  /** A version of `name` was chosen (or none passed the checks). */
  discovered: { name: string; version?: string | undefined };
  /** A version was passed over, with the reason. */
  skipped: { name: string; version: string; reason: string };
  /** A folder was refused: a bad manifest, or a version that another folder holds too. */
  refused: { dir: string; reason: string };
  /** `name` cannot be loaded because of its dependencies (missing, out of range, a cycle, or failed). */
  blocked: { name: string; reason: string };
  loading: { name: string; version: string };
  loaded: { name: string; version: string };
  /** Loading failed; on a reload, `running` is the version that keeps serving. */
  failed: {
    name: string;
    version?: string | undefined;
    running?: string | undefined;
    reason: string;
  };
  /** A reload did not take `version`, before starting it: `running` keeps serving. */
  reloadRefused: { name: string; version?: string | undefined; running: string; reason: string };
  unloading: { name: string; version: string };
  unloaded: { name: string; version: string };
  reloaded: { name: string; from: string; to: string };
  /** Watch mode could not apply a change of the directory. */
  watchFailed: { error: Error };
  /** A listener of `event` threw `error`; the others were still called. */
  listenerFailed: { event: string; error: Error };
}
