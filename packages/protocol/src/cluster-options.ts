/**
 * Building blocks of a cluster scheduler's `--sched-arg` options. Every option
 * is a string on the command line, read with a zod schema, so that a bad value
 * is a `SchedulerError` naming the option; keys the scheduler does not know
 * are ignored (options propagate to every tier of a run) and listed, for the
 * scheduler to report as a debug event.
 */
import { z } from 'zod';
import { SchedulerError } from './errors.js';
import { schedulerOption } from './scheduler.js';
import { splitShellWords } from './shell-words.js';

/** A number of seconds, at least `min` (`1`, `0.5`). */
export const secondsOption = (what: string, min: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, `expected ${what} in seconds, e.g. 1 or 0.5`)
    .transform(Number)
    .pipe(z.number().min(min, `expected at least ${min} seconds`));

/** `on`/`off` (also yes/no, true/false, 1/0) → a boolean. */
export const onOffOption = () =>
  z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['on', 'off', 'yes', 'no', 'true', 'false', '1', '0'], { error: 'expected on or off' }))
    .transform((v) => ['on', 'yes', 'true', '1'].includes(v));

/** The interface name or host name/address children use to reach the tier (see `resolveAdvertiseHost`). */
export const hostOption = () => z.string().trim().min(1, 'expected an interface name, host name or address');

/**
 * Extra submission arguments, split like a shell command line; a word whose
 * flag (`flagOf(word)`, the word itself by default) is in `reserved` is refused:
 * the scheduler sets it itself.
 */
export const extraArgsOption = (reserved: readonly string[], flagOf: (word: string) => string = (word) => word) =>
  z.string().transform((text, ctx) => {
    let words: string[];
    try {
      words = splitShellWords(text);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
    for (const word of words) {
      const flag = flagOf(word);
      if (reserved.includes(flag)) {
        ctx.addIssue({ code: 'custom', message: `${flag} is set by the scheduler itself and cannot be overridden` });
        return z.NEVER;
      }
    }
    return words;
  });

/**
 * Read `given` (keys already lower-cased) with `schemas`: `read(name)` parses
 * one option (a bad value throws `SchedulerError`), `ignored` lists the keys
 * that mean nothing to this scheduler.
 */
export function schedulerOptionReader<S extends Record<string, z.ZodType>>(
  scheduler: string,
  schemas: S,
  given: Record<string, string>,
): { read<K extends keyof S & string>(name: K): z.infer<S[K]>; ignored: string[] } {
  const known = new Set<string>(Object.keys(schemas));
  return {
    read: (name) => schedulerOption(scheduler, given, name, schemas[name]!) as never,
    ignored: Object.keys(given).filter((key) => !known.has(key)),
  };
}

/** A problem with the cluster itself (commands missing, controller down, unknown partition or queue). */
export function clusterError(scheduler: string, message: string, hint?: string, cause?: unknown): SchedulerError {
  return new SchedulerError('GATOR_SCHEDULER_LAUNCH', scheduler, message, {
    ...(hint ? { hint } : {}),
    ...(cause ? { cause } : {}),
  });
}
