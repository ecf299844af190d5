/**
 * The go channel of a pre-started wrapper (the local scheduler's, see
 * @gator/scheduler-local's README): the scheduler starts a queued job's wrapper
 * process before a slot is free, so that it does its whole start-up (Node,
 * connect, spec, database) while other jobs hold the slots, and tells it "go"
 * once the slot is its own. The wrapper tells it when its job has ended, so the
 * slot is free before the wrapper has wound down.
 *
 * The channel is Node's IPC channel on the wrapper's fd 0, where its stdin
 * would be (`stdio: ['ipc', …]`, `GATOR_WAIT_FOR_GO=1` in its environment):
 * framed messages both ways, and a close either side sees at once (the scheduler
 * gone, the wrapper dead). On fd 0 it never reaches the job, whose stdin is
 * /dev/null; Node removes `NODE_CHANNEL_FD` and the wrapper `GATOR_WAIT_FOR_GO`
 * from the environment the job inherits.
 *
 * Wrapper → scheduler: `hello` (listening: only now may a go be sent; an IPC
 * message with no listener yet is dropped), then `ended` (the job's last process
 * has ended: its slot is free; the wrapper's final writes and its report to the
 * tier, which records the job's own stop time, come after). Scheduler → wrapper:
 * `go`, with the job's path in the tree (the launch request's), so the wrapper
 * spawns its job at once and registers with its tier meanwhile (the tier records
 * the go as the job's start). A wrapper whose channel closes before the go never
 * runs its job (the scheduler stops a waiting wrapper with SIGTERM, which ends
 * the wait the same way). A wrapper started without the variable (Slurm, SGE, by
 * hand) runs at once.
 *
 * With `GATOR_UPLINK=ipc` too (the scheduler's host serves the wrapper's tier
 * link there), the wrapper's connection to its tier travels on the same
 * channel (`uplink`, frame-socket.ts) instead of a websocket: the channel is
 * then let go once the go side is done (the `ended`, or no go) and the uplink
 * has closed, and it keeps the process alive while the uplink is open.
 */

import { IpcFrameSocket, type FrameSocket } from './frame-socket.js';

/** Set (to `1`) by the local scheduler on a wrapper it started before its slot was free. */
export const GO_CHANNEL_ENV = 'GATOR_WAIT_FOR_GO';
/** Set (to `ipc`) beside it when the wrapper's link to its tier is the channel too (`GoSignal.uplink`). */
export const UPLINK_ENV = 'GATOR_UPLINK';

/** What travels on the channel (`t`, as the local pool's frames). */
export type GoMessage = { t: 'hello' } | { t: 'go'; path?: string[] } | { t: 'ended' };

/** The wrapper's side of the channel. */
export interface GoSignal {
  /** True once the scheduler says go; false when it never will (channel closed, or `abandon`). */
  readonly go: Promise<boolean>;
  /** The job's path in the tree (root first, ending with its ident), when the go said it; undefined before. */
  readonly path: readonly string[] | undefined;
  /** The job has ended: the scheduler may give its slot to the next job. Once; then the channel is let go. */
  ended(): void;
  /** Stop waiting (the wrapper was stopped before its go): `go` resolves false. */
  abandon(): void;
  /** The link to the tier on this channel (`GATOR_UPLINK=ipc`), once; undefined without. */
  takeUplink?(): FrameSocket | undefined;
}

type IpcProcess = Pick<NodeJS.Process, 'on' | 'off' | 'send' | 'channel' | 'connected' | 'disconnect'>;

/**
 * Let the channel go: it would otherwise keep the process alive. Never inside a
 * message handler's own call: Node 20 replays messages that came before the first
 * listener from a tick that fails if the channel was let go during the replay.
 */
function disconnect(proc: IpcProcess): void {
  queueMicrotask(() => {
    if (proc.connected) proc.disconnect();
  });
}

/**
 * The go channel this process was started with, or undefined when it runs at
 * once. Removes the variable from `env` (the job must not wait for a go of its own).
 */
export function takeGoChannel(env: NodeJS.ProcessEnv = process.env, proc: IpcProcess = process): GoSignal | undefined {
  const asked = env[GO_CHANNEL_ENV];
  const uplinkAsked = env[UPLINK_ENV] === 'ipc';
  delete env[GO_CHANNEL_ENV];
  delete env[UPLINK_ENV];
  const send = proc.send?.bind(proc);
  if (asked !== '1' || !send || !proc.connected) return undefined;
  let settle!: (go: boolean) => void;
  let settled = false;
  let path: string[] | undefined;
  const go = new Promise<boolean>((resolve) => {
    settle = (value) => {
      if (settled) return;
      settled = true;
      resolve(value);
    };
  });
  // The channel serves two: the go side (until the `ended`, or no go) and the uplink (until it closes).
  let goDone = false;
  let uplink: FrameSocket | undefined;
  let uplinkOpen = false;
  const release = () => {
    if (goDone && !uplinkOpen) disconnect(proc);
    else if (settled && !uplinkOpen) proc.channel?.unref();
  };
  const onMessage = (message: unknown) => {
    const m = message as GoMessage | null;
    if (m?.t !== 'go' || settled) return;
    if (Array.isArray(m.path) && m.path.every((p) => typeof p === 'string')) path = m.path;
    settle(true);
  };
  const onDisconnect = () => settle(false);
  const letGo = () => {
    proc.off('message', onMessage);
    proc.off('disconnect', onDisconnect);
    goDone = true;
    release();
  };
  proc.on('message', onMessage);
  proc.on('disconnect', onDisconnect);
  // Made now, beside the go listener, so that it sees every frame its tier sends from the
  // start (it holds them until the wrapper takes it, after its start-up).
  if (uplinkAsked) {
    uplinkOpen = true;
    uplink = new IpcFrameSocket(proc, () => {
      uplinkOpen = false;
      release();
    });
  }
  send({ t: 'hello' } satisfies GoMessage);
  // Waiting for the go is what keeps the process alive until then; after it the layer's own work does
  // (and an open uplink: its final report is still to come).
  void go.then((value) => {
    if (!value) letGo();
    else release();
  });
  let ended = false;
  return {
    go,
    get path() {
      return path;
    },
    ended() {
      if (ended || !settled) return;
      ended = true;
      if (proc.connected) send({ t: 'ended' } satisfies GoMessage, () => letGo());
      else letGo();
    },
    abandon() {
      settle(false);
    },
    ...(uplink
      ? {
          takeUplink() {
            const taken = uplink;
            uplink = undefined;
            return taken;
          },
        }
      : {}),
  };
}
