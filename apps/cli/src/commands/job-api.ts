/**
 * `gator log` and `gator metric`: shell jobs talk to their wrapper through these
 * (they read GATOR_PARENT like any job). Each waits for the wrapper's answer, so
 * a message is stored before the command returns.
 */
import { SEVERITY_NAMES, UsageError } from '@gator/protocol';

export async function logCommand(words: string[], severity: string | undefined): Promise<number> {
  const sev = (severity ?? 'INFO').trim().toUpperCase();
  if (!(SEVERITY_NAMES as readonly string[]).includes(sev)) {
    throw new UsageError(`--severity must be one of ${SEVERITY_NAMES.join(', ')}, got '${severity}'`);
  }
  if (words.length === 0) throw new UsageError('gator log needs a MESSAGE.');
  const { connectJobClient } = await import('@gator/wrapper/client');
  const client = await connectJobClient();
  client.log(words.join(' '), sev);
  await client.close();
  return 0;
}

export async function metricCommand(name: string | undefined, value: string | undefined): Promise<number> {
  if (!name || value === undefined) throw new UsageError('Usage: gator metric NAME VALUE');
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`gator metric: VALUE must be a number, got '${value}'`);
  const { connectJobClient } = await import('@gator/wrapper/client');
  const client = await connectJobClient();
  client.metric(name, n);
  await client.close();
  return 0;
}

