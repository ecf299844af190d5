/** `gator hub`: serve the web dashboard and registry of runs until Ctrl-C. */
import fs from 'node:fs';
import { GatorError, UsageError } from '@gator/protocol';
import { importModule } from '../dynamic-import.js';

export interface HubFlags {
  port?: string | number;
  host?: string;
  database?: string;
  tokenFile?: string;
}

export async function hubCommand(flags: HubFlags, io: { out: NodeJS.WriteStream; err: NodeJS.WriteStream }): Promise<number> {
  const port = flags.port === undefined ? undefined : Number(flags.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new UsageError(`--port expects a port number, got '${flags.port}'`);
  }
  // The token is a secret: from a file or the environment, never from argv.
  let token = process.env.GATOR_HUB_TOKEN || undefined;
  if (flags.tokenFile) {
    try {
      token = fs.readFileSync(flags.tokenFile, 'utf8').trim();
    } catch (e) {
      throw new GatorError('GATOR_USAGE', `Cannot read the hub token from ${flags.tokenFile}: ${(e as Error).message}`);
    }
  }
  // Through importModule: the root bundle leaves @gator/hub out (it serves files from beside its code: root-entry.ts).
  const { startHub } = (await importModule('@gator/hub')) as typeof import('@gator/hub');
  const hub = await startHub({
    ...(port !== undefined ? { port } : {}),
    ...(flags.host ? { host: flags.host } : {}),
    ...(flags.database ? { database: flags.database } : {}),
    ...(token ? { token } : {}),
    onLog: (event: { level: string; message: string }) => {
      if (event.level !== 'debug') io.err.write(`hub: ${event.message}\n`);
    },
  });
  io.out.write(`Gator Hub listening on ${hub.url}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await hub.close();
  return 0;
}
