// Global set-up: marks every process this test run starts (through an inherited
// environment variable) and, at the end, fails the run if any is still alive.
// Leftovers are ended by pid, never by name.
import { randomUUID } from 'node:crypto';
import { MARKER, processesWithMarker } from './processes.js';

export default function setup() {
  const id = process.env[MARKER] ?? randomUUID();
  process.env[MARKER] = id;
  return async function teardown() {
    const deadline = Date.now() + 5_000;
    let left = processesWithMarker(id);
    while (left.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      left = processesWithMarker(id);
    }
    if (left.length > 0) {
      for (const { pid } of left) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
      }
      throw new Error(
        `${left.length} process(es) started by the tests were still running at the end:\n` +
          left.map((p) => `  ${p.pid} ${p.cmdline}`).join('\n'),
      );
    }
  };
}
