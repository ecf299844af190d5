/**
 * A child layer: Python Gator's child command line (`gator --parent H:P --id
 * ID --tracking DIR …`, cli-and-scheduler.md §4). It connects to its parent,
 * fetches its spec (unless a SPEC file was given), and runs as a wrapper or a
 * tier through `startLayer`. Its console goes nowhere: a fatal error is
 * appended to `<tracking>/error.log` too.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Connection, JobResult, UsageError, connect, isGatorError, layerFile, loadSpec, loadSpecFile, takeCredentialFile, type GoSignal, type Spec } from '@gator/protocol';
import type { RunOptions } from './options.js';
import { inProcessRunner } from './in-process.js';
import { startLayer, type Prepared } from './start-layer.js';

export interface ChildContext {
  cwd: string;
  /** The environment the child was started with; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** The local scheduler's go channel of this process (child-main.ts), when it was started to wait. */
  go?: GoSignal;
}

/** Append a fatal error of a child process to `<tracking>/error.log` (its console goes nowhere). */
function recordChildError(tracking: string | undefined, error: unknown): void {
  if (!tracking) return;
  try {
    fs.mkdirSync(tracking, { recursive: true, mode: 0o700 });
    const text = isGatorError(error) ? `${error.code}: ${error.message}${error.hint ? `\n${error.hint}` : ''}` : String((error as Error)?.stack ?? error);
    fs.appendFileSync(layerFile(tracking, 'error'), `[${new Date().toISOString()}] ${text}\n`, { mode: 0o600 });
  } catch {
    /* nothing more we can do; stderr still gets it */
  }
}

/** Run as the child layer the options describe; resolves with the process's exit code. */
export async function runChild(specPath: string | undefined, options: RunOptions, ctx: ChildContext): Promise<number> {
  const { identity } = options;
  const id = identity.id;
  if (!id) throw new UsageError('--parent needs --id (the child id the parent knows this layer by).');
  const tracking = path.resolve(ctx.cwd, identity.tracking ?? id);
  let parent: Connection | undefined;
  try {
    // Taken (read and removed) before anything else runs: the job this layer may start never sees it.
    // None: a parent that is Python Gator (it asks for no credential), or a child started by hand.
    const given = takeCredentialFile(tracking);
    const token = given?.read;
    // A pre-started wrapper's link to its tier is its go channel when the scheduler serves it there.
    const uplink = ctx.go?.takeUplink?.();
    parent = uplink
      ? new Connection(uplink, { requestTimeoutMs: 60_000 })
      : await connect(identity.parent!, { ...(given ? { token: given.credential } : {}), requestTimeoutMs: 60_000 });
    if (given?.allowTokenless) options.root.allowTokenless = true;
    let spec: Spec;
    if (specPath) {
      spec = loadSpecFile(path.resolve(ctx.cwd, specPath));
    } else {
      const reply = await parent.request('spec', { ident: id });
      spec = loadSpec(reply.spec, `<spec of '${id}' from ${identity.parent}>`);
    }
    let prepared: Prepared | undefined;
    if (spec.kind !== 'job' && options.root.rerunSelect) {
      const rerun = await import('./rerun.js');
      const selection = rerun.readSelection(options.root.rerunSelect);
      prepared = { only: rerun.selector(selection), childEnv: rerun.childEnv(selection) };
    }
    const layer = await startLayer({
      spec,
      ident: id,
      tracking,
      options,
      token,
      parent,
      cwd: ctx.cwd,
      inProcess: inProcessRunner(runChild),
      ...(ctx.go && spec.kind === 'job' ? { go: ctx.go } : {}),
      ...(prepared ? { prepare: async () => prepared } : {}),
    });
    return layer.kind !== 'nothing' && layer.outcome.result === JobResult.SUCCESS ? 0 : 1;
  } catch (error) {
    recordChildError(tracking, error);
    throw error;
  } finally {
    parent?.close();
  }
}
