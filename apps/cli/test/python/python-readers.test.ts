/**
 * Python Gator's own readers on Gator's files and servers (issue 18, Builds 3
 * and 6): its `database_client` (what its hub and its tiers use for completed
 * layers) on a finished Gator run, and its websocket clients on a running
 * Gator layer, found through the `server_url` Gator stored for it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openLayerReader } from '@gator/db';
import { gator, startGator, tempDir, waitFor, writeSpec } from '../helpers.js';
import { needsPythonPeer, python } from './peer.js';

needsPythonPeer();

/** Python: resolve through Gator's files with Python Gator's own database client. */
const RESOLVE = `
import asyncio, json, sys
from pathlib import Path
from gator.common.db_client import database_client
from gator.common.db import Database
from gator.common.types import ProcStat

def plain(job):
    return {"ident": job["ident"], "status": int(job["status"]), "result": int(job["result"]),
            "path": job["path"], "metrics": job["metrics"], "expected_children": job["expected_children"],
            "children": [plain(c) for c in job["children"]]}

async def main(root, wrapper):
    out = {}
    async with database_client(root) as db:
        out["shallow"] = plain(await db.resolve(root_path=[], nest_path=None, depth=1))
        out["deep"] = plain(await db.resolve(root_path=[], nest_path=None, depth=3))
        out["tunnel"] = plain(await db.resolve(root_path=["inner"], nest_path=None, depth=1))
        out["nested"] = plain(await db.resolve(root_path=[], nest_path=["inner", "talker"], depth=0))
    async with database_client(wrapper) as db:
        msgs = await db.get_messages(after=0, limit=100)
        out["messages"] = {"total": msgs["total"], "status": int(msgs["status"]),
                           "items": [[m["uid"], m["severity"], m["message"], type(m["timestamp"]).__name__] for m in msgs["messages"]]}
    db = Database(Path(wrapper), readonly=True)
    await db.start()
    await db.register(ProcStat)
    stats = await db.get_procstat()
    out["procstat"] = [[s.nproc, s.mem > 0] for s in stats]
    await db.stop()
    print(json.dumps(out))

asyncio.run(main(sys.argv[1], sys.argv[2]))
`;

/** Python: read a running layer over the websocket, as Python Gator's tools do. */
const LIVE = `
import asyncio, json, sys, websockets
from pathlib import Path
from gator.common.db import Database
from gator.common.db_client import downstream_client
from gator.common.types import ChildEntry

async def main(root_db, ident, token):
    # The address Gator stored for the running child (readable while the run goes on: WAL).
    db = Database(Path(root_db), readonly=True)
    await db.start()
    await db.register(ChildEntry)
    url = [c.server_url for c in await db.get_childentry() if c.ident == ident][0]
    await db.stop()
    out = {"url": url}
    # 1. A plain websockets client given the stored URL and the token.
    async with websockets.connect(f"ws://{url}/{token}") as ws:
        await ws.send(json.dumps({"action": "get_messages", "req_id": 0, "payload": {"after": 0, "limit": 50}}))
        reply = json.loads(await ws.recv())
        out["plain"] = [m["message"] for m in reply["payload"]["messages"]]
    # 2. Python Gator's own client, given the stored URL with the token as its path.
    async with downstream_client(f"{url}/{token}") as cli:
        out["resolve"] = (await cli.resolve(root_path=[]))["ident"]
        out["gator_client"] = [m["message"] for m in (await cli.get_messages(after=0, limit=50))["messages"]]
    # 3. Python Gator's own client given the stored URL only (what its hub does): refused.
    try:
        async with downstream_client(url) as cli:
            await cli.get_messages()
        out["bare"] = "connected"
    except Exception as e:
        out["bare"] = f"{type(e).__name__}: {e}"
    print(json.dumps(out))

asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
`;

describe("Python Gator's readers on Gator runs", () => {
  it("its database_client resolves a finished Gator run's databases as Gator's reader sees them", async () => {
    const dir = tempDir('gator-pyread-');
    const spec = writeSpec(
      dir,
      'tree.yaml',
      `!JobGroup
ident: top
jobs:
  - !Job {ident: ok, command: echo, args: [fine]}
  - !Job {ident: bad, command: bash, args: [-c, 'echo broken >&2; exit 2']}
  - !JobGroup
    ident: inner
    jobs:
      - !Job {ident: talker, command: bash, args: [-c, 'echo one; echo two; sleep 2.5; echo three']}
      - !JobArray {ident: arr, repeats: 2, jobs: [!Job {ident: x, command: "true"}]}
`,
    );
    const run = await gator(['run', spec, '--tracking', 'run', '--interval', '1'], { cwd: dir });
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const tracking = path.join(dir, 'run');
    const talker = path.join(tracking, 'inner', 'talker', 'db.sqlite');
    const got = await python<any>(RESOLVE, { args: [path.join(tracking, 'db.sqlite'), talker] });

    const reader = openLayerReader(tracking);
    const gatorMetrics = reader.metrics('_GROUP_');
    reader.close();
    expect(got.shallow).toMatchObject({ ident: 'top', status: 3, result: 2, path: [], expected_children: 3 });
    expect(got.shallow.metrics).toEqual(gatorMetrics);
    expect(got.shallow.children.map((c: any) => [c.ident, c.result, c.status])).toEqual([
      ['ok', 1, 3],
      ['bad', 2, 3],
      ['inner', 1, 3],
    ]);
    // depth 3: every layer's own database, opened through ChildEntry.db_file.
    const inner = got.deep.children.find((c: any) => c.ident === 'inner');
    expect(inner.path).toEqual(['top']);
    expect(inner.children.map((c: any) => c.ident)).toEqual(['talker', 'arr']);
    expect(inner.children[1].children.map((c: any) => [c.ident, c.result])).toEqual([
      ['x_0', 1],
      ['x_1', 1],
    ]);
    expect(inner.children[1].children[0].path).toEqual(['top', 'inner', 'arr']);
    expect(got.tunnel).toMatchObject({ ident: 'inner', result: 1, path: ['top'] });
    expect(got.nested.children[0].children[0]).toMatchObject({ ident: 'talker', result: 1, path: ['top', 'inner'] });
    // Messages as Python's get_messages serves them: uid, integer severity and timestamp.
    expect(got.messages.status).toBe(3);
    const texts = got.messages.items.map((m: any[]) => m[2]);
    expect(texts).toEqual(expect.arrayContaining(['one', 'two', 'three']));
    expect(got.messages.total).toBe(texts.length);
    expect(got.messages.items.every((m: any[]) => m[1] === 20 && m[3] === 'int')).toBe(true);
    // ProcStat rows through Python's typed mapper (the job ran for 2.5 s at --interval 1).
    expect(got.procstat.length).toBeGreaterThanOrEqual(1);
    expect(got.procstat.every(([n, mem]: [number, boolean]) => n >= 1 && mem)).toBe(true);
  });

  /** A running Gator layer read by Python's clients from its stored URL (`allowTokenless`: the run lets tokenless readers in). */
  async function readLive(allowTokenless: boolean) {
    const dir = tempDir('gator-pyread-');
    const release = path.join(dir, 'release');
    const spec = writeSpec(
      dir,
      'live.yaml',
      `!JobGroup
ident: live
jobs:
  - !Job {ident: waiter, command: bash, args: [-c, 'echo waiting for release; while [ ! -e ${release} ]; do sleep 0.1; done; echo released']}
`,
    );
    const token = randomBytes(16).toString('base64url');
    const flags = allowTokenless ? ['--allow-tokenless'] : [];
    const run = startGator(['run', spec, '--tracking', 'run', '--interval', '1', ...flags], { cwd: dir, env: { GATOR_TOKEN: token } });
    const rootDb = path.join(dir, 'run', 'db.sqlite');
    const waiterDb = path.join(dir, 'run', 'waiter', 'db.sqlite');
    await waitFor(() => {
      if (!fs.existsSync(rootDb) || !fs.existsSync(waiterDb)) return false;
      const root = openLayerReader(rootDb);
      const waiter = openLayerReader(waiterDb);
      try {
        return root.children().some((c) => c.serverUrl !== '') && waiter.messages().some((m) => m.message === 'waiting for release');
      } finally {
        root.close();
        waiter.close();
      }
    }, 60_000, 'the job to run and its address to be stored');
    let got: any;
    try {
      got = await python<any>(LIVE, { args: [rootDb, 'waiter', token] });
    } finally {
      fs.writeFileSync(release, '');
    }
    const done = await run.done;
    expect(done.code, done.stdout + done.stderr).toBe(0);
    // Python's format: host:port, no scheme, no token.
    expect(got.url).toMatch(/^[\w.-]+:\d+$/);
    expect(got.plain).toContain('waiting for release');
    expect(got.gator_client).toContain('waiting for release');
    expect(got.resolve).toBe('waiter');
    return got;
  }

  it('a Python client given a running layer’s stored URL and the run’s read token reads its messages; without the token it is refused', async () => {
    const got = await readLive(false);
    // What Python Gator's hub does with the stored URL: no token, so HTTP 401 (see docs/compatibility.md).
    expect(got.bare).toMatch(/401/);
  });

  it('with --allow-tokenless, Python Gator’s own client given the stored URL alone (as its hub is) reads too', async () => {
    const got = await readLive(true);
    expect(got.bare).toBe('connected');
  });
});
