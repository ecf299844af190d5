/**
 * What a `Connection` needs of its transport, and the transport a layer uses
 * on the Node IPC channel to its own child process instead of a websocket.
 *
 * A websocket (`ws`'s WebSocket) is one. The other is a pre-started wrapper's
 * IPC channel (go-channel.ts): the local scheduler already opens it on the
 * wrapper's fd 0, so the wrapper's link to its tier can travel there too,
 * without an HTTP upgrade, a websocket client, or Node's `http` and `crypto`
 * in the wrapper at all (bench/README.md "Where the costs are"). Its peer is
 * the process at the other end of a channel only the two of them hold (the
 * job, whose stdin is /dev/null, never inherits it), so it needs no
 * credential: the tier knows which child it started on it.
 *
 * Frames are the same JSON text as on a websocket, carried in IPC messages
 * `{ t: 'frame', d }` beside the go channel's own (`t` names both); `ping`
 * and `pong` keep the keep-alive of `Connection`; `close` carries the code.
 */
import { EventEmitter } from 'node:events';

/** `readyState` values, as a websocket's. */
export const SOCKET_OPEN = 1;
export const SOCKET_CLOSING = 2;
export const SOCKET_CLOSED = 3;

/** A transport of text frames in order, both ways, with a close either side sees (a websocket's shape). */
export interface FrameSocket {
  readonly readyState: number;
  /** Bytes handed to `send` and not yet written out. */
  readonly bufferedAmount: number;
  readonly isPaused: boolean;
  send(text: string, callback?: (error?: Error) => void): void;
  ping(): void;
  /** Stop delivering frames until `resume` (they wait, in order). */
  pause(): void;
  resume(): void;
  close(code?: number, reason?: string): void;
  /** Closed now, without telling the peer. */
  terminate(): void;
  /** `message` (data, isBinary), `pong`, `close` (code, reason: Buffer), `error`: each event's own arguments, as a websocket's. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  on(event: string, listener: (...args: any[]) => void): this;
}

/** One end of a Node IPC channel: `process` in a child, its `ChildProcess` in the parent. */
export interface IpcEndpoint {
  readonly connected: boolean;
  send?(message: unknown, callback?: (error: Error | null) => void): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'disconnect', listener: () => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'disconnect', listener: () => void): unknown;
}

/** What travels on the channel for the frame socket (the go channel's messages are other `t`s). */
type SocketMessage = { t: 'frame'; d: string } | { t: 'ping' } | { t: 'pong' } | { t: 'close'; code?: number; reason?: string };

/** Close code when the channel went away without a close (a websocket's "abnormal closure"). */
const ABNORMAL_CLOSURE = 1006;

/** A `FrameSocket` on a Node IPC channel (either end); it never closes the channel itself. */
export class IpcFrameSocket extends EventEmitter implements FrameSocket {
  private state = SOCKET_OPEN;
  private unsent = 0;
  private paused = false;
  private readonly held: string[] = [];
  private finishing = false;
  /** The close, kept until someone listens for it. */
  private closedWith: { code: number; reason: string } | undefined;

  /** `onClosed`: the socket has closed, either way (the owner of the channel may let it go). */
  constructor(
    private readonly endpoint: IpcEndpoint,
    private readonly onClosed?: () => void,
  ) {
    super();
    endpoint.on('message', this.onMessage);
    endpoint.on('disconnect', this.onDisconnect);
    if (!endpoint.connected) queueMicrotask(this.onDisconnect);
    // A socket is often made before its user (a wrapper takes its uplink after its start-up):
    // what arrives meanwhile waits for the first listener, never emitted to nobody.
    this.on('newListener', (event: string) => {
      if (event === 'message') queueMicrotask(() => this.flush());
      if (event === 'close' && this.closedWith) queueMicrotask(() => this.emitClose());
    });
  }

  get readyState(): number {
    return this.state;
  }

  get bufferedAmount(): number {
    return this.unsent;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  send(text: string, callback?: (error?: Error) => void): void {
    if (this.state !== SOCKET_OPEN) {
      queueMicrotask(() => callback?.(new Error('the channel is closed')));
      return;
    }
    const bytes = text.length;
    this.unsent += bytes;
    this.post({ t: 'frame', d: text }, (error) => {
      this.unsent -= bytes;
      callback?.(error);
    });
  }

  ping(): void {
    if (this.state === SOCKET_OPEN) this.post({ t: 'ping' });
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.flush();
  }

  close(code = 1000, reason = ''): void {
    if (this.state !== SOCKET_OPEN) return;
    this.state = SOCKET_CLOSING;
    this.post({ t: 'close', code, reason }, () => this.finish(code, reason));
  }

  terminate(): void {
    this.finish(ABNORMAL_CLOSURE, '');
  }

  private post(message: SocketMessage, callback?: (error?: Error) => void): void {
    try {
      if (!this.endpoint.connected || !this.endpoint.send) throw new Error('the channel is closed');
      this.endpoint.send(message, (error) => callback?.(error ?? undefined));
    } catch (error) {
      // Told through the callback; the disconnect that follows closes the socket.
      queueMicrotask(() => callback?.(error as Error));
    }
  }

  /** Whether a frame can go to a listener now (else it waits, behind those already waiting). */
  private get delivering(): boolean {
    return !this.paused && this.listenerCount('message') > 0;
  }

  private flush(): void {
    while (this.delivering && this.held.length > 0 && this.state === SOCKET_OPEN) this.emit('message', this.held.shift()!, false);
  }

  private readonly onMessage = (raw: unknown): void => {
    const message = raw as SocketMessage | null;
    if (this.finishing || typeof message !== 'object' || message === null) return;
    switch (message.t) {
      case 'frame':
        if (typeof message.d !== 'string') return;
        if (!this.delivering || this.held.length > 0) this.held.push(message.d);
        else this.emit('message', message.d, false);
        return;
      case 'ping':
        this.post({ t: 'pong' });
        return;
      case 'pong':
        this.emit('pong');
        return;
      case 'close':
        this.finish(typeof message.code === 'number' ? message.code : 1000, typeof message.reason === 'string' ? message.reason : '');
        return;
    }
  };

  private readonly onDisconnect = (): void => this.finish(ABNORMAL_CLOSURE, '');

  private finish(code: number, reason: string): void {
    if (this.finishing) return;
    this.finishing = true;
    this.endpoint.off('message', this.onMessage);
    this.endpoint.off('disconnect', this.onDisconnect);
    this.state = SOCKET_CLOSED;
    this.closedWith = { code, reason };
    if (this.listenerCount('close') > 0) this.emitClose();
    this.onClosed?.();
  }

  /** Frames held (paused, or before anyone listened) are the peer's all the same: delivered before the close. */
  private emitClose(): void {
    const closed = this.closedWith;
    if (!closed) return;
    this.closedWith = undefined;
    for (const text of this.held.splice(0)) this.emit('message', text, false);
    this.emit('close', closed.code, Buffer.from(closed.reason));
  }
}
