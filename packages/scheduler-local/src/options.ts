/**
 * `--sched-arg` options of the local scheduler, parsed from the strings the CLI
 * passes (`concurrency=4`, `memory=16000`, `licenses=simtool:2,lint:1`, `grace=5`).
 */
import os from 'node:os';
import { z } from 'zod';
import { SchedulerError } from '@gator/protocol';

export const SCHEDULER_NAME = 'local';

const positiveInt = z
  .string()
  .regex(/^\d+$/, 'expected a positive whole number')
  .transform(Number)
  .pipe(z.number().int().positive('expected a positive whole number'));

const positiveNumber = z
  .string()
  .regex(/^\d+(\.\d+)?$/, 'expected a positive number')
  .transform(Number)
  .pipe(z.number().positive('expected a positive number'));

const wholeNumber = z
  .string()
  .regex(/^\d+$/, 'expected a whole number (0 or more)')
  .transform(Number);

const nonNegativeNumber = z
  .string()
  .regex(/^\d+(\.\d+)?$/, 'expected a number of seconds')
  .transform(Number);

/** `NAME:COUNT[,NAME:COUNT…]` → `{NAME: COUNT}`; empty → `{}`. */
const licenseList = z.string().transform((text, ctx) => {
  const out: Record<string, number> = {};
  for (const part of text.split(',')) {
    const item = part.trim();
    if (!item) continue;
    const match = /^([^:\s]+)\s*:\s*(\d+)$/.exec(item);
    if (!match || Number(match[2]) <= 0) {
      ctx.addIssue({ code: 'custom', message: `'${item}' is not NAME:COUNT with COUNT a positive whole number` });
      return z.NEVER;
    }
    const name = match[1]!;
    if (name in out) {
      ctx.addIssue({ code: 'custom', message: `license '${name}' is declared twice` });
      return z.NEVER;
    }
    out[name] = Number(match[2]);
  }
  return out;
});

/** The options as given (strings), validated and converted. Unknown keys are ignored. */
export const localSchedulerOptions = z.object({
  /** Job slots (cores) of the pool; default `os.availableParallelism()`. */
  concurrency: positiveInt.optional(),
  /** Memory of the pool in MB (1 GB = 1000 MB); default the machine's total memory. */
  memory: positiveNumber.optional(),
  /** License pools, `NAME:COUNT[,NAME:COUNT…]`; default none. */
  licenses: licenseList.optional(),
  /** Seconds between SIGTERM and SIGKILL when stopping a child; default 5. */
  grace: nonNegativeNumber.optional(),
  /**
   * Where job wrappers run: `process` (default, one wrapper process per job) or
   * `inprocess` (opt-in: inside the tier's own process, when the host can run
   * them there, see `LocalSchedulerSettings.inProcess`).
   */
  wrappers: z.enum(['process', 'inprocess'], { error: "expected 'process' or 'inprocess'" }).optional(),
  /**
   * How many queued jobs' wrappers may start before their slot is free and wait
   * for it, machine-wide (pool.ts `defaultWarmAhead`); 0 starts each at its slot.
   */
  prestart: wholeNumber.optional(),
});
export type LocalSchedulerOptions = z.infer<typeof localSchedulerOptions>;

/** What the pool holds in total. */
export interface PoolLimits {
  /** Job slots: a job takes max(1, ceil(cores)) of them. */
  cores: number;
  memoryMb: number;
  licenses: Record<string, number>;
}

export interface LocalSchedulerConfig {
  limits: PoolLimits;
  /** Milliseconds between SIGTERM and SIGKILL. */
  graceMs: number;
  /** Option keys that mean nothing to this scheduler (reported at debug level). */
  ignored: string[];
  /** Run job wrappers inside this process (`wrappers=inprocess`). */
  inProcessWrappers: boolean;
  /** Wrappers that may start and wait for a slot (`prestart=N`); undefined: the pool's default. */
  prestart?: number;
}

const KNOWN = new Set(Object.keys(localSchedulerOptions.shape));

const HINTS: Record<string, string> = {
  concurrency: 'Pass --sched-arg concurrency=N with N >= 1 (the number of jobs that may run at once).',
  memory: 'Pass --sched-arg memory=MB, e.g. memory=16000 for 16 GB.',
  licenses: 'Pass --sched-arg licenses=NAME:COUNT[,NAME:COUNT...], e.g. licenses=simtool:2,lint:1.',
  grace: 'Pass --sched-arg grace=SECONDS (time between SIGTERM and SIGKILL), e.g. grace=5.',
  wrappers: 'Pass --sched-arg wrappers=process (one wrapper process per job, the default) or wrappers=inprocess.',
  prestart: 'Pass --sched-arg prestart=N (wrappers started ahead of their slot), or prestart=0 to start each at its slot.',
};

/** Validate `--sched-arg` options; a bad value is a `SchedulerError` naming the option. */
export function parseLocalOptions(options: Record<string, string>): LocalSchedulerConfig {
  const given: Record<string, string> = {};
  const ignored: string[] = [];
  for (const [key, value] of Object.entries(options)) {
    if (KNOWN.has(key)) given[key] = value;
    else ignored.push(key);
  }
  const parsed = localSchedulerOptions.safeParse(given);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0] ?? '');
    throw new SchedulerError(
      'GATOR_SCHEDULER_OPTION',
      SCHEDULER_NAME,
      `Option \`${key}=${given[key] ?? ''}\` is invalid: ${issue.message}.`,
      { hint: HINTS[key] },
    );
  }
  const o = parsed.data;
  return {
    limits: {
      cores: o.concurrency ?? Math.max(1, os.availableParallelism()),
      memoryMb: o.memory ?? Math.floor(os.totalmem() / 1e6),
      licenses: o.licenses ?? {},
    },
    graceMs: Math.round((o.grace ?? 5) * 1000),
    ignored,
    inProcessWrappers: o.wrappers === 'inprocess',
    ...(o.prestart !== undefined ? { prestart: o.prestart } : {}),
  };
}
