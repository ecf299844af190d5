/**
 * Running Grid Engine's commands (qsub, qstat, qdel, qconf, qhost, qacct) and
 * reading their plain-text answers. Commands never throw: a failure is a
 * result with its exit code and stderr, so that the scheduler can turn it into
 * a child's exit reason or a retry.
 */
import { commandRunFailure, commandTimedOut, type CommandResult } from '@gator/protocol';

/** The message of a failed command: its stderr lines without `Exiting.` and `error: ` prefixes. */
export function commandFailure(command: string, result: CommandResult): string {
  const notRun = commandRunFailure(command, result);
  if (notRun !== undefined) return notRun;
  const lines = `${result.stderr}\n${result.code === 0 ? '' : result.stdout}`
    .split('\n')
    .map((line) => line.replace(/^(error: )+/, '').trim())
    .filter((line) => line !== '' && line !== 'Exiting.');
  return lines.join('; ') || `${command} exited with code ${result.code}`;
}

/** The qmaster could not be reached: the request never arrived, so sending it again is safe. */
const NOT_SENT =
  /commlib error|unable to contact qmaster|unable to send message to qmaster|can't connect to service|Connection refused|got select error|cannot resolve|qmaster is not alive/i;
/** The request was sent but its answer was lost: a query may be repeated, a submission may not. */
const ANSWER_LOST = /failed receiving gdi request|receive timeout|timed out|Resource temporarily unavailable|qmaster .*busy/i;

/**
 * Errors worth another try: the qmaster is restarting, busy or briefly
 * unreachable. `idempotent` is false for qsub: a submission whose answer was
 * lost may have been accepted, and a second one would run the child twice.
 */
export function isTransientFailure(result: CommandResult, idempotent = true): boolean {
  if (result.code === 0) return false;
  const timedOut = commandTimedOut(result);
  const text = `${result.stderr}\n${result.stdout}`;
  if (NOT_SENT.test(text)) return true;
  return idempotent && (timedOut || ANSWER_LOST.test(text));
}

/** Job number from `qsub -terse` output: `94`, or `95.1-4:1` for an array job. */
export function parseQsubJobId(stdout: string): string | undefined {
  return /^\s*(\d+)(?:\.\d+-\d+:\d+)?\s*$/m.exec(stdout)?.[1];
}

export interface QdelAnswer {
  /** Jobs or tasks (`95.3`) deleted while pending: they never ran. */
  deletedPending: Set<string>;
  /** Jobs or tasks registered for deletion (they were running: SGE signals them). */
  registered: Set<string>;
  /** Jobs Grid Engine does not know (already gone). */
  unknown: Set<string>;
}

/**
 * Read qdel's replies: `root has deleted job 96`, `root has deleted job-array
 * task 95.3`, `root has registered the job 94 for deletion`, `root has
 * registered the job-array task 95.1 for deletion`, `denied: job "99" does not exist`.
 */
export function parseQdel(output: string): QdelAnswer {
  const answer: QdelAnswer = { deletedPending: new Set(), registered: new Set(), unknown: new Set() };
  for (const line of output.split('\n')) {
    let m = /has deleted job(?:-array task)? (\d+(?:\.\d+)?)\s*$/.exec(line);
    if (m) {
      answer.deletedPending.add(m[1]!);
      continue;
    }
    m = /has registered the job(?:-array task)? (\d+(?:\.\d+)?) for deletion/.exec(line);
    if (m) {
      answer.registered.add(m[1]!);
      continue;
    }
    m = /job "(\d+(?:\.\d+)?)" does not exist/.exec(line);
    if (m) answer.unknown.add(m[1]!);
  }
  return answer;
}

/**
 * `qstat -j ID,…` → job number → task → the engine's error reason (`error
 * reason 1: 12/01/2026 10:16:22 [0:1234]: error: can't open output file …`),
 * without its time stamp and `[uid:pid]` prefix.
 */
export function parseErrorReasons(stdout: string): Map<string, Map<number, string>> {
  const out = new Map<string, Map<number, string>>();
  let job: string | undefined;
  for (const line of stdout.split('\n')) {
    const number = /^job_number:\s+(\d+)/.exec(line);
    if (number) {
      job = number[1]!;
      continue;
    }
    const reason = /^error reason\s+(\d+):\s+(.*)$/.exec(line);
    if (reason && job !== undefined) {
      const text = reason[2]!.replace(/^\d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d \[[^\]]*\]:\s*/, '').replace(/^error:\s*/, '').trim();
      const tasks = out.get(job) ?? new Map<number, string>();
      tasks.set(Number(reason[1]), text);
      out.set(job, tasks);
    }
  }
  return out;
}

/** `qconf -sc` → the complexes that can book licenses: requestable, consumable INT/DOUBLE. */
export interface Complex {
  name: string;
  shortcut: string;
  type: string;
  requestable: boolean;
  /** `YES` (booked per slot), `JOB` (once per job), `HOST`, or `NO`. */
  consumable: string;
}

export function parseComplexes(stdout: string): Complex[] {
  const out: Complex[] = [];
  for (const line of stdout.split('\n')) {
    if (line.startsWith('#')) continue;
    const [name, shortcut, type, , requestable, consumable] = line.trim().split(/\s+/);
    if (!name || !consumable) continue;
    out.push({ name, shortcut: shortcut ?? name, type: type ?? '', requestable: requestable !== 'NO', consumable: consumable.toUpperCase() });
  }
  return out;
}

/** The value of `key` in qconf's `key value` listings (`qconf -se global`, `-sp smp`, `-sconf`). */
export function qconfValue(stdout: string, key: string): string | undefined {
  // Long values continue on the next line after a trailing backslash.
  const joined = stdout.replace(/\\\n\s*/g, '');
  const match = new RegExp(`^${key}\\s+(.*)$`, 'm').exec(joined);
  return match?.[1]?.trim();
}

/** `simtool=2,toola=4` (or NONE) → name → amount. */
export function parseComplexValues(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (!text || text === 'NONE') return out;
  for (const part of text.split(',')) {
    const [name, value] = part.split('=').map((s) => s.trim());
    if (name && value !== undefined && /^\d+(\.\d+)?$/.test(value)) out[name] = Number(value);
  }
  return out;
}

/** Grid Engine memory (`23.5G`, `512M`, `1.2T`, bytes) → decimal MB. Units K/M/G/T are powers of 1024. */
export function memoryToMb(text: string | undefined): number {
  const match = /^([\d.]+)\s*([KMGT])?$/i.exec(text?.trim() ?? '');
  if (!match) return 0;
  const power = { K: 1, M: 2, G: 3, T: 4 }[(match[2] ?? '').toUpperCase() as 'K' | 'M' | 'G' | 'T'] ?? 0;
  return (Number(match[1]) * 1024 ** power) / 1e6;
}

export interface AcctRecord {
  /** `94`, or `95.3` for task 3 of an array job. */
  key: string;
  failed: number;
  /** The words of `failed` when qacct gave them (`assumedly after job`). */
  failedText?: string;
  exitStatus: number;
  /** 0 when the job never started. */
  startTime: number;
}

/** `qacct -j ID` → its records (the last one per task wins: a retried start writes one per attempt). */
export function parseQacct(stdout: string): Map<string, AcctRecord> {
  const out = new Map<string, AcctRecord>();
  for (const block of stdout.split(/^=+\s*$/m)) {
    const field = (name: string) => new RegExp(`^${name}\\s+(.*)$`, 'm').exec(block)?.[1]?.trim();
    const job = field('jobnumber');
    if (!job) continue;
    const task = field('taskid');
    const failed = /^(\d+)\s*(?::\s*(.*))?$/.exec(field('failed') ?? '');
    const start = field('start_time');
    const key = task && /^\d+$/.test(task) ? `${job}.${task}` : job;
    out.set(key, {
      key,
      failed: Number(failed?.[1] ?? 0),
      ...(failed?.[2] ? { failedText: failed[2].trim() } : {}),
      exitStatus: Number.parseInt(field('exit_status') ?? '0', 10) || 0,
      startTime: !start || start === '-/-' ? 0 : Date.parse(start) || 1,
    });
  }
  return out;
}
