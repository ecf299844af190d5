/** Options shared by `gator run` and the child entry point (Python Gator's flags, cli-and-scheduler.md §1). */
import { UsageError } from '@gator/protocol';

export interface RunFlags {
  id?: string;
  hub?: string;
  parent?: string;
  interval: number;
  tracking?: string;
  quiet: boolean;
  allMsg: boolean;
  verbose: boolean;
  progress: boolean;
  scheduler: string;
  schedArg: string[];
  limitWarning?: number;
  limitError: number;
  limitCritical: number;
  rerunFailed?: string | boolean;
  rerunSelect?: string;
  advertiseHost?: string;
  host?: string;
}

function toList(v: unknown): string[] {
  if (v === undefined || v === null || v === false) return [];
  return (Array.isArray(v) ? v : [v]).map((x) => String(x));
}

function last(v: unknown): unknown {
  return Array.isArray(v) ? v[v.length - 1] : v;
}

function intOption(name: string, v: unknown, min = 0): number | undefined {
  const value = last(v);
  if (value === undefined || value === null || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    throw new UsageError(`--${name} expects a whole number${min > 0 ? ` of at least ${min}` : ''}, got '${String(value)}'`);
  }
  return n;
}

function numberOption(name: string, v: unknown): number | undefined {
  const value = last(v);
  if (value === undefined || value === null || value === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} expects a positive number of seconds, got '${String(value)}'`);
  return n;
}

function str(v: unknown): string | undefined {
  const value = last(v);
  return value === undefined || value === null || value === true || value === false ? undefined : String(value);
}

/** Environment defaults `GATOR__<PARAM>` as Python Gator reads them (command-line values win). */
function envDefault(name: string): string | undefined {
  return process.env[`GATOR__${name}`] || undefined;
}

export function readRunFlags(o: Record<string, unknown>): RunFlags {
  const flags: RunFlags = {
    id: str(o.id) ?? envDefault('IDENT'),
    hub: str(o.hub) ?? envDefault('HUB'),
    parent: str(o.parent) ?? envDefault('PARENT'),
    interval: numberOption('interval', o.interval ?? envDefault('INTERVAL')) ?? 5,
    tracking: str(o.tracking) ?? envDefault('TRACKING'),
    quiet: Boolean(last(o.quiet)),
    allMsg: Boolean(last(o.allMsg)) || envDefault('ALL_MSG') === '1',
    verbose: Boolean(last(o.verbose)),
    progress: Boolean(last(o.progress)),
    scheduler: (str(o.scheduler) ?? envDefault('SCHEDULER') ?? 'local').trim(),
    schedArg: toList(o.schedArg),
    limitWarning: intOption('limit-warning', o.limitWarning ?? envDefault('LIMIT_WARNING')),
    limitError: intOption('limit-error', o.limitError ?? envDefault('LIMIT_ERROR')) ?? 0,
    limitCritical: intOption('limit-critical', o.limitCritical ?? envDefault('LIMIT_CRITICAL')) ?? 0,
    host: str(o.host),
    advertiseHost: str(o.advertiseHost),
  };
  const select = str(o.rerunSelect);
  if (select) flags.rerunSelect = select;
  const rerun = o.rerunFailed;
  if (rerun !== undefined && rerun !== false) flags.rerunFailed = rerun === true ? true : String(last(rerun));
  return flags;
}
