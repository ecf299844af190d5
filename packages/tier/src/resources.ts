/**
 * Before a run: ask the scheduler about every job of the whole tree, so a job
 * that can never be placed (more cores than the pool has, an unknown license,
 * a resource kind the scheduler cannot honour) rejects the run up front
 * instead of failing hours in. One check per spec entry: array copies ask for
 * the same thing.
 */
import { jobResources, type Scheduler, type Spec } from '@gator/protocol';

const RESOURCE_WORDS = { cores: 'cores', memory: 'memory', licenses: 'licenses' } as const;

/** Problems the scheduler reports for the jobs of `spec` (empty when it can run them all). */
export function checkResources(spec: Spec, scheduler: Scheduler): string[] {
  const problems: string[] = [];
  // An explicit stack: specs built in code can nest deeper than the call stack.
  const stack: { node: Spec; path: string[] }[] = [{ node: spec, path: [spec.ident ?? 'root'] }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    if (node.kind !== 'job') {
      for (let i = node.jobs.length - 1; i >= 0; i--) {
        const child = node.jobs[i];
        stack.push({ node: child, path: [...path, child.ident ?? `T${i}`] });
      }
      continue;
    }
    const resources = jobResources(node);
    const label = path.join('.');
    const caps = scheduler.capabilities;
    const asked = {
      cores: resources.cores > 0,
      memory: resources.memoryMb > 0,
      licenses: Object.keys(resources.licenses).length > 0,
    };
    for (const kind of ['cores', 'memory', 'licenses'] as const) {
      if (asked[kind] && caps?.[kind] === 'unsupported') {
        problems.push(`job ${label} requests ${RESOURCE_WORDS[kind]}, which the ${scheduler.name} scheduler cannot honour`);
      }
    }
    let message: string | undefined;
    try {
      message = scheduler.check?.({ id: path[path.length - 1], path, kind: 'job', resources });
    } catch (error) {
      message = `job ${label}: the ${scheduler.name} scheduler could not check its resources (${(error as Error).message})`;
    }
    if (message) problems.push(message);
  }
  return problems;
}
