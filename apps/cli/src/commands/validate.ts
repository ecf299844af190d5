/**
 * `gator validate SPEC…`: every problem of every file, one line each; exit 0
 * only when all are valid. It checks exactly what `gator run` checks before
 * it starts anything (both load through `loadSpecFile`), except what needs
 * the scheduler: whether it can ever meet a job's resource requests. A valid
 * spec that makes requests says so.
 */
import path from 'node:path';
import { SpecError, expectedJobs, formatSpecIssue, isGatorError, loadSpecFile, type Spec } from '@gator/protocol';
import { colorsFor } from '../render/format.js';
import { terminalSafe } from '../render/terminal-text.js';

/** True when some job asks for cores, memory or licenses (iterative: specs nest deeply). */
function requestsResources(spec: Spec): boolean {
  const stack: Spec[] = [spec];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.kind === 'job') {
      if (node.resources.length > 0) return true;
    } else {
      for (const child of node.jobs) stack.push(child);
    }
  }
  return false;
}

export function validateCommand(files: string[], ctx: { out: NodeJS.WriteStream; err: NodeJS.WriteStream; cwd: string }): number {
  const c = colorsFor(ctx.out);
  let bad = 0;
  for (const file of files) {
    try {
      const spec = loadSpecFile(path.resolve(ctx.cwd, file));
      const jobs = expectedJobs(spec);
      ctx.out.write(`${c.green('✔')} ${file}: valid ${spec.kind === 'job' ? '!Job' : spec.kind === 'group' ? '!JobGroup' : '!JobArray'} (${jobs} job${jobs === 1 ? '' : 's'})\n`);
      if (requestsResources(spec)) ctx.out.write(`  ${c.dim('resource requests are checked by gator run, against the scheduler it uses')}\n`);
    } catch (error) {
      bad += 1;
      if (error instanceof SpecError) {
        ctx.err.write(`${c.red('✖')} ${file}: ${error.issues.length} problem${error.issues.length === 1 ? '' : 's'}\n`);
        // An issue quotes what it found in the spec: shown, never acted on.
        for (const issue of error.issues) ctx.err.write(`${terminalSafe(formatSpecIssue({ ...issue, file: issue.file === path.resolve(ctx.cwd, file) ? file : issue.file }))}\n`);
      } else if (isGatorError(error)) {
        ctx.err.write(`${c.red('✖')} ${file}: ${terminalSafe(error.message)}\n`);
      } else {
        throw error;
      }
    }
  }
  return bad === 0 ? 0 : 2;
}
