/**
 * How a tier started by this CLI starts its children: this same CLI, run by
 * this same Node, with Python Gator's child command line (the layer settings
 * and the child's place, from `LAYER_FLAGS`) and whatever root options travel
 * down (`rootTokensForChild`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { childArgv, type ChildPlace, type LayerSettings } from '@gator/protocol';
import { CHILD_NODE_FLAGS } from './child-node-flags.js';
import { childSnapshotFlags } from './child-snapshot.js';
import { rootTokensForChild, type RootOptions } from './options.js';

/** The script a child process runs (dist/cli.js, beside this module once built). */
export function cliScript(): string {
  return path.join(path.dirname(fileURLToPath(import.meta.url)), 'cli.js');
}

/** argv prefix that starts this CLI: `[node, cli.js]`. */
export function cliCommand(): string[] {
  return [process.execPath, cliScript()];
}

/**
 * The script a child layer runs: the lean child entry (dist/child.cjs, see
 * child-loader.ts) once built, else the full CLI (which also runs child command lines).
 */
export function childScript(): string {
  const lean = path.join(path.dirname(cliScript()), 'child.cjs');
  return fs.existsSync(lean) ? lean : cliScript();
}

/** Every script of this CLI a tier may put in a child command line (what in-process hosting recognises). */
export function ownScripts(): string[] {
  return [cliScript(), path.join(path.dirname(cliScript()), 'child.cjs')];
}

/**
 * A child command line of this CLI run by this Node (`[node, FLAGS…, child.cjs|cli.js, …]`, the
 * flags of child-node-flags.ts and the startup snapshot's optional), split into its script and the arguments after it;
 * undefined for anything else. In-process hosting and the go channel both recognise it here.
 */
export function ownChildCommand(command: readonly string[]): { script: string; argv: string[] } | undefined {
  const [node, ...rest] = command;
  let words = CHILD_NODE_FLAGS.every((flag, i) => rest[i] === flag) ? rest.slice(CHILD_NODE_FLAGS.length) : rest;
  if (words[0] === '--snapshot-blob') words = words.slice(2);
  const [file, ...argv] = words;
  if (node !== process.execPath || file === undefined || !ownScripts().includes(path.resolve(file))) return undefined;
  return { script: path.resolve(file), argv };
}

/** True for a child command line of this CLI: its wrapper honours the local scheduler's go channel (go-channel.ts of @gator/protocol). */
export function isOwnChildCommand(command: readonly string[]): boolean {
  return ownChildCommand(command) !== undefined;
}

/**
 * The tier's `childCommand`: the full argv of one child (`node FLAGS… child.cjs …`, see
 * child-node-flags.ts), from the startup snapshot when the child runs on this machine
 * (`local`: the tier's scheduler is not remote) and the build made one (child-snapshot.ts).
 */
export function childCommandFor(root: RootOptions, local: boolean): (settings: LayerSettings, place: ChildPlace) => string[] {
  const script = childScript();
  const prefix = [process.execPath, ...CHILD_NODE_FLAGS, ...childSnapshotFlags(path.dirname(script), local && script !== cliScript()), script];
  const extra = rootTokensForChild(root);
  return (settings, place) => [...childArgv(prefix, settings, place), ...extra];
}
