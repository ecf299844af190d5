/**
 * `gator run --hub ADDRESS`: the root registers with a Gator Hub, sends its
 * summary with each heartbeat and completes with its database path and result.
 * A hub that is down never slows or fails the run: the client retries with
 * back-off in the background and the CLI shows one warning.
 */
import os from 'node:os';
import { Severity, type Summary } from '@gator/protocol';
import { importModule } from './dynamic-import.js';
import type { Reporter } from './render/reporter.js';

export interface HubLink {
  register(info: { ident: string; layer: 'tier' | 'wrapper'; address: () => string | undefined; token: string }): Promise<void>;
  heartbeat(summary: Summary): void;
  complete(dbFile: string, result: number, summary: Summary): Promise<void>;
  close(): Promise<void>;
}

function owner(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

export async function linkHub(address: string, reporter: Reporter): Promise<HubLink> {
  // Through importModule: the root bundle leaves @gator/hub out (root-entry.ts).
  const { createHubClient } = (await importModule('@gator/hub')) as typeof import('@gator/hub');
  let warned = false;
  let troubled: () => void = () => {};
  // Resolves at the hub's first problem: the run stops waiting on it from then on.
  const trouble = new Promise<void>((resolve) => (troubled = resolve));
  const client = createHubClient(address, {
    onWarning: (message: string) => {
      troubled();
      if (warned) return;
      warned = true;
      reporter.note(Severity.WARNING, `hub ${address}: ${message}`);
    },
  });
  let lastSummary: Summary | undefined;
  let registered: Promise<unknown> | undefined;
  return {
    async register(info) {
      // Set at once, so `complete` of a short run waits for the registration it started.
      registered = (async () => {
        // The layer's server starts inside run(); wait (bounded) for its address.
        let url = info.address();
        for (let i = 0; i < 500 && !url; i++) {
          await new Promise((r) => setTimeout(r, 10));
          url = info.address();
        }
        const uid = await client.register({ ident: info.ident, url: url ?? '', layer: info.layer, owner: owner(), token: info.token });
        // Where the hub shows this run (its page route, `/runs/<uid>`).
        if (uid !== undefined) reporter.note(Severity.INFO, `Hub: ${client.url}/runs/${uid}`);
        return uid;
      })();
      await registered;
      if (lastSummary) client.heartbeat(lastSummary);
    },
    heartbeat(summary) {
      lastSummary = summary;
      if (registered) client.heartbeat(summary);
    },
    async complete(dbFile, result, summary) {
      // A run shorter than its registration (a lone !Job) still registers: wait for it,
      // bounded, and not at all once the hub had a problem (a down hub never slows a run).
      // The timer is kept (not unref'd): it is what keeps the process alive while the client retries.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([registered, trouble, new Promise((r) => (timer = setTimeout(r, 1500)))]);
      clearTimeout(timer);
      client.heartbeat(summary);
      client.complete({ db_file: dbFile, result });
    },
    async close() {
      await client.close({ timeoutMs: 1000 });
      // A run shorter than the client's retries never heard back: say so once.
      if (client.uid === undefined && !warned) {
        warned = true;
        reporter.note(Severity.WARNING, `hub ${address}: could not register the run (the run went on without it)`);
      }
    },
  };
}
