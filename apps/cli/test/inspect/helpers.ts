/** Driving the inspect commands in-process through cac, as main.ts does. */
import { Writable } from 'node:stream';
import { cac } from 'cac';
import { isGatorError } from '@gator/protocol';
import { registerInspectCommands } from '../../src/inspect/index.js';

export interface Captured {
  stream: NodeJS.WriteStream;
  text(): string;
}

export function capture(extra: Partial<NodeJS.WriteStream> = {}): Captured {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
      done();
    },
  });
  Object.assign(stream, extra);
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => chunks.join('') };
}

export interface InspectResult {
  code: number;
  out: string;
  err: string;
  /** The GatorError code when the command failed with one. */
  error?: string;
}

export async function runInspect(args: string[], cwd: string): Promise<InspectResult> {
  const out = capture();
  const err = capture();
  let code = 0;
  const cli = cac('gator');
  registerInspectCommands(cli, { out: out.stream, err: err.stream, cwd }, (c) => (code = c));
  try {
    cli.parse(['node', 'gator', ...args], { run: false });
    await cli.runMatchedCommand();
  } catch (error) {
    if (isGatorError(error)) return { code: error.code === 'GATOR_USAGE' ? 2 : 1, out: out.text(), err: err.text(), error: error.code };
    throw error;
  }
  return { code, out: out.text(), err: err.text() };
}
