/** Where a command writes and the directory it runs in (the process's own, or a test's). */
export interface Io {
  out: NodeJS.WriteStream;
  err: NodeJS.WriteStream;
  cwd: string;
  /** The environment (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}
