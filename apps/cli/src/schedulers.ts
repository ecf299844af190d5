/**
 * `--scheduler NAME` → a scheduler factory. A built-in name (`local`, `slurm`, `sge`),
 * else an installed package `gator-scheduler-NAME` (or `@scope/gator-scheduler-NAME`
 * for `@scope/NAME`, or the package name itself), else a module path. The module's
 * default export must be a factory made with `defineScheduler`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import {
  SchedulerError,
  checkSchedulerArgs,
  closestName,
  isScheduler,
  isSchedulerFactory,
  type Scheduler,
  type SchedulerContext,
  type SchedulerFactory,
} from '@gator/protocol';
import type { LocalSchedulerSettings } from '@gator/scheduler-local';
import { importModule } from './dynamic-import.js';

const BUILTIN: Record<string, () => Promise<{ default: SchedulerFactory }>> = {
  local: () => import('@gator/scheduler-local') as Promise<{ default: SchedulerFactory }>,
  slurm: () => import('@gator/scheduler-slurm') as Promise<{ default: SchedulerFactory }>,
  sge: () => import('@gator/scheduler-sge') as Promise<{ default: SchedulerFactory }>,
};

export const BUILTIN_SCHEDULERS = Object.keys(BUILTIN);

function looksLikePath(name: string): boolean {
  return name.startsWith('.') || name.startsWith('/') || /\.(m?js|cjs|ts)$/.test(name);
}

/** Package names tried for NAME, in order. */
export function candidatePackages(name: string): string[] {
  if (name.startsWith('@')) {
    const [scope, bare] = name.split('/', 2);
    if (!bare) return [];
    return bare.startsWith('gator-scheduler-') ? [name] : [`${scope}/gator-scheduler-${bare}`, name];
  }
  return name.startsWith('gator-scheduler-') ? [name] : [`gator-scheduler-${name}`, name];
}

/** Find an installed package's ESM entry from `fromDir` upwards (honours `exports`). */
function resolvePackage(spec: string, fromDir: string): string | undefined {
  try {
    return createRequire(path.join(fromDir, 'noop.js')).resolve(spec);
  } catch {
    /* maybe ESM-only (exports with `import` only): look it up by hand */
  }
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const pkgDir = path.join(dir, 'node_modules', spec);
    const pkgFile = path.join(pkgDir, 'package.json');
    if (fs.existsSync(pkgFile)) {
      const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as Record<string, unknown>;
      const exp = pkg.exports as Record<string, unknown> | string | undefined;
      let entry: unknown = typeof exp === 'string' ? exp : exp?.['.'] ?? exp;
      while (entry && typeof entry === 'object') {
        const e = entry as Record<string, unknown>;
        entry = e.import ?? e.default ?? e.node;
      }
      const file = typeof entry === 'string' ? entry : ((pkg.module ?? pkg.main ?? 'index.js') as string);
      return path.resolve(pkgDir, file);
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

function selfResolve(spec: string): string | undefined {
  try {
    return fileURLToPathSafe(import.meta.resolve(spec));
  } catch {
    return undefined;
  }
}
function fileURLToPathSafe(url: string): string {
  return url.startsWith('file:') ? new URL(url).pathname : url;
}

/** Where NAME's module is, or undefined for a built-in. Throws SchedulerError when nothing matches. */
export function locateScheduler(name: string, cwd = process.cwd()): string | undefined {
  if (BUILTIN[name]) return undefined;
  if (looksLikePath(name)) {
    const file = path.resolve(cwd, name);
    if (!fs.existsSync(file)) {
      throw new SchedulerError('GATOR_SCHEDULER_NOT_FOUND', name, `Scheduler module ${file} does not exist.`, {
        hint: 'Give a path to a built .js/.mjs module whose default export is a defineScheduler() factory.',
      });
    }
    return file;
  }
  const tried = candidatePackages(name);
  for (const spec of tried) {
    const found = resolvePackage(spec, cwd) ?? selfResolve(spec);
    if (found) return found;
  }
  const near = closestName(name, BUILTIN_SCHEDULERS);
  throw new SchedulerError(
    'GATOR_SCHEDULER_NOT_FOUND',
    name,
    `No scheduler named '${name}' (--scheduler ${name}): it is not built in (${BUILTIN_SCHEDULERS.join(', ')}) and no package ${tried.map((t) => `'${t}'`).join(' or ')} is installed.${near ? ` Did you mean ${near}?` : ''}`,
    { hint: near ? `--scheduler ${near}` : `Install it (npm i ${tried[0]}) or pass a module path (--scheduler ./my-scheduler.js).` },
  );
}

export async function loadSchedulerFactory(name: string, cwd = process.cwd()): Promise<SchedulerFactory> {
  const builtin = BUILTIN[name];
  let mod: Record<string, unknown>;
  let where = name;
  if (builtin) {
    mod = (await builtin()) as unknown as Record<string, unknown>;
  } else {
    const file = locateScheduler(name, cwd)!;
    where = file;
    try {
      mod = await importModule(pathToFileURL(file).href);
    } catch (e) {
      throw new SchedulerError('GATOR_SCHEDULER_INVALID', name, `Could not load scheduler module ${file}: ${(e as Error).message}`, { cause: e });
    }
  }
  const factory = mod.default;
  if (!isSchedulerFactory(factory)) {
    throw new SchedulerError(
      'GATOR_SCHEDULER_INVALID',
      name,
      `Module ${where} has no default export that is a scheduler factory (found ${factory === undefined ? 'no default export' : typeof factory}).`,
      { hint: "Write `export default defineScheduler((ctx) => ...)` with defineScheduler from '@gator/protocol'." },
    );
  }
  return factory;
}

/**
 * Check `--scheduler` and `--sched-arg` before anything runs: the scheduler
 * must exist, and when it declares its options (the built-in ones do), every
 * key must be one of them and every value valid. Throws `SchedulerError` (exit 2).
 */
export async function checkSchedulerChoice(name: string, options: Record<string, string>, cwd = process.cwd()): Promise<void> {
  const factory = await loadSchedulerFactory(name, cwd);
  if (factory.options) checkSchedulerArgs(name, options, factory.options);
}

/**
 * Load and create a scheduler, checking that what the factory returned implements the contract.
 * `host`: what this CLI offers the local scheduler: hosting job wrappers in this process
 * (`wrappers=inprocess`), which job command lines wait for a go (pre-started wrappers), and
 * the tier that serves those wrappers' links on their go channel, and which children restore
 * the environment they are started without.
 */
export async function createScheduler(
  name: string,
  context: SchedulerContext,
  cwd = process.cwd(),
  host: Pick<LocalSchedulerSettings, 'inProcess' | 'goChannel' | 'uplink' | 'carriesEnv'> = {},
): Promise<Scheduler> {
  if (name === 'local' && (host.inProcess || host.goChannel)) {
    const { createLocalScheduler } = await import('@gator/scheduler-local');
    return createLocalScheduler(context, host);
  }
  const factory = await loadSchedulerFactory(name, cwd);
  const scheduler = await factory(context);
  if (!isScheduler(scheduler)) {
    throw new SchedulerError(
      'GATOR_SCHEDULER_INVALID',
      name,
      `The default export of scheduler '${name}' returned something that is not a scheduler (it needs name, capabilities, launch, stop and close).`,
    );
  }
  return scheduler;
}

/** The name to hand to children: module paths become absolute (children may run elsewhere). */
export function schedulerNameForChildren(name: string, cwd = process.cwd()): string {
  return looksLikePath(name) ? path.resolve(cwd, name) : name;
}
