/**
 * What the build's warm-ups run (the code cache and the startup snapshot, child-loader.ts):
 * the first steps every child takes, on made-up input, without touching a file, socket or
 * process. V8 compiles a function the first time it runs: a function run here is kept
 * compiled in the snapshot (and in the cache), so no child compiles it again, and the
 * schemas it builds on first use come built. Parsing, never doing: nothing here may
 * leave state a child would see (the layers' own state is made when they start).
 */
import { CredentialFileSchema, decode, decodeResponsePayload, dumpSpec, emptySummary, encodeRequest, encodeSuccess, loadSpec } from '@gator/protocol';
import { parseChildArgv } from './child-args.js';

/** Specs as users write them: each is read, sent on (dumped), and read back as a child does. */
const SPECS = [
  `!Job
ident: warm-up
command: sh
args: ["-c", "echo \${GATOR_ARRAY_INDEX}", --flag]
cwd: /tmp
env:
  A: "1"
  B: two words
resources: [!Cores [2], !Memory [512, MB], !License {name: tool, count: 1}]
`,
  `!JobGroup
ident: warm-up
env:
  PATH: /usr/bin:/bin
jobs:
  - !Job
    ident: build
    command: make
    args: [-C, "dir", all]
    resources:
      - !Cores {count: 1}
  - !JobArray
    ident: tests
    repeats: 3
    on_pass: [build]
    jobs:
      - !Job
        ident: seed
        command: ./run.sh
        args: ["--seed", "\${GATOR_ARRAY_INDEX}"]
  - !Job
    ident: report
    on_done: [tests]
    on_fail: [build]
    command: "true"
`,
];

/** A child's command line as a tier gives it (child-args.ts). */
const ARGV = ['--limit-error=0', '--limit-critical=0', '--parent', '127.0.0.1:9', '--interval', '5', '--scheduler', 'local', '--quiet', '--id', 'warm-up_0', '--tracking', '/nonexistent/warm-up'];

export function warmUpChild(): void {
  CredentialFileSchema.parse({ credential: 'warm-up', read: 'warm-up' });
  for (const text of SPECS) dumpSpec(loadSpec(dumpSpec(loadSpec(text, '<warm-up>')), '<warm-up>'));
  parseChildArgv(ARGV, {});
  // The frames a child sends up and the replies it reads, as its link and its parent's server parse them.
  const summary = emptySummary();
  for (const frame of [
    encodeRequest('spec', { ident: 'warm-up' }, { reqId: 1 }),
    encodeRequest('register', { ident: 'warm-up', server: '127.0.0.1:9', protocol: 1, started: 1 }, { reqId: 2 }),
    encodeRequest('update', { ident: 'warm-up', summary, result: 0 }, { posted: true }),
    encodeRequest('complete', { ident: 'warm-up', code: 0, result: 1, summary, stopped: 2 }, { reqId: 3 }),
    encodeRequest('log', { timestamp: 1, severity: 'INFO', message: 'warm-up' }, { posted: true }),
  ]) {
    decode(frame);
  }
  decodeResponsePayload('spec', { spec: SPECS[0] });
  decodeResponsePayload('register', { path: ['warm-up'], root: 0, uidx: 1, protocol: 1 });
  decode(encodeSuccess('register', 2, { path: ['warm-up'], root: 0, uidx: 1, protocol: 1 }));
}
