// Global set-up: the loopback Grid Engine cluster must be up (scripts/sge/up.sh is
// idempotent and fast when it already is). The daemons it may start must not
// carry the leak check's marker: they outlive the test run on purpose.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MARKER } from '@gator/vitest-config/processes';

const upScript = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../scripts/sge/up.sh');

export default function setup(): void {
  const env = { ...process.env };
  delete env[MARKER];
  if (process.getuid?.() !== 0) {
    // Without root the cluster can only be used, not started.
    execFileSync('qstat', [], { env, stdio: 'ignore' });
    return;
  }
  try {
    execFileSync('bash', [upScript], { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 600_000 });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`The Grid Engine test cluster did not come up (${upScript}):\n${stderr}`);
  }
}
