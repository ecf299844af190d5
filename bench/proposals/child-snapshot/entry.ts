// Snapshot entry (experiment, see README.md): every layer's code initialised in the
// snapshot; what cannot be in a Node 20 user snapshot is loaded after deserialising.
import './warm-flag.js';
import '../../../apps/cli/src/child-entry.js';
import v8 from 'node:v8';
import path from 'node:path';
import { createRequire } from 'node:module';

v8.startupSnapshot.setDeserializeMainFunction(() => {
  const dist = process.env.GATOR_CLI_DIST!;
  const g = globalThis as Record<string, unknown>;
  const req = createRequire(path.join(dist, 'child.cjs'));
  g.__gatorRequire = req;
  g.__gatorMetaUrl = `file://${path.join(dist, 'child-layer.cjs')}`;
  // What a wrapper needs at once: ws (with http) and SQLite. (A real entry runs childMain here.)
  void req('ws').WebSocketServer;
  void req('better-sqlite3');
});
