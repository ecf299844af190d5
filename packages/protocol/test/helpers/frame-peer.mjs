// The child end of an IPC frame socket (frame-socket.ts), started by frame-socket.test.ts
// with an IPC channel: `frame-peer.mjs echo|serve`. Instructions come as raw IPC
// messages `{ t: 'do', ... }` (other `t`s than the socket's, so it ignores them);
// `{ t: 'marker' }` tells the test that everything sent before it is on the channel.
import { Connection, IpcFrameSocket } from '@gator/protocol';

const mode = process.argv[2];
// The socket never lets the channel go itself: the peer does, so it can exit. Not from
// inside a message handler (go-channel.ts says why).
const letGo = () =>
  queueMicrotask(() => {
    if (process.connected) process.disconnect();
  });
const socket = new IpcFrameSocket(process, () => {
  if (mode !== 'echo') letGo();
});
const raw = (message) => process.send?.(message);

if (mode === 'echo') {
  socket.on('message', (text, isBinary) => socket.send(`echo:${text}:${typeof text}:${isBinary}`));
  // Told to the test, then the channel let go (once the message is out).
  socket.on('close', (code, reason) => {
    if (process.connected) process.send({ t: 'peer-closed', code, reason: reason.toString() }, letGo);
  });
} else if (mode === 'serve') {
  const connection = new Connection(socket, {
    keepAliveMs: 0,
    handlers: { spec: ({ ident }) => ({ spec: `spec of ${ident}` }) },
  });
  // Ask the test's side too: the same frames both ways.
  process.on('message', async (m) => {
    if (m?.t === 'do' && m.what === 'log') {
      await connection.request('log', { severity: 'INFO', message: m.message });
      raw({ t: 'logged' });
    }
  });
}

process.on('message', (m) => {
  if (m?.t !== 'do') return;
  if (m.what === 'frames') {
    for (let i = 0; i < m.n; i++) socket.send(`f${i}`);
    raw({ t: 'marker' });
    if (m.then === 'close') socket.close(4001, 'peer is done');
    if (m.then === 'disconnect') letGo();
  }
  if (m.what === 'ping') socket.ping();
});
socket.on('pong', () => raw({ t: 'pong-seen' }));
