// A scheduler whose "processes" are fake children running in the test
// process over real websockets: for scale tests, where 10,000 node processes
// would take minutes. Everything on the wire is the real protocol.
import { connect, takeCredentialFile, type ChildExit, type LaunchRequest, type LaunchedChild, type Scheduler, type Summary } from '@gator/protocol';

function summary(id: string, result: number): Summary {
  const failed = result !== 1;
  return {
    metrics: {
      sub_total: 1,
      sub_active: 0,
      sub_passed: failed ? 0 : 1,
      sub_failed: failed ? 1 : 0,
      msg_critical: 0,
      msg_error: failed ? 1 : 0,
      msg_warning: 0,
      msg_info: 1,
      msg_debug: 0,
      cycles: 10,
    },
    failed_ids: failed ? [[id]] : [],
    running_ids: [],
    ...(failed
      ? {
          failures: [{ path: [id], reason: 'exit code 1', signature: `sig-${Number(id.split('_').pop()) % 5}` }],
          buckets: [{ signature: `sig-${Number(id.split('_').pop()) % 5}`, count: 1, examples: [[id]] }],
        }
      : {}),
    stats: { cycles: { count: 1, sum: 10, min: 10, max: 10 } },
  };
}

export function inProcessScheduler(token: string, resultOf: (id: string) => number, concurrency = 32): Scheduler {
  const queue: (() => void)[] = [];
  let running = 0;
  const next = () => {
    while (running < concurrency && queue.length > 0) {
      running++;
      queue.shift()!();
    }
  };
  async function fakeChild(request: LaunchRequest): Promise<void> {
    const argv = request.command;
    const parent = argv[argv.indexOf('--parent') + 1];
    const id = argv[argv.indexOf('--id') + 1];
    const link = await connect(parent, { token: takeCredentialFile(request.tracking)?.credential ?? token, keepAliveMs: 0 });
    try {
      await link.request('spec', { ident: id });
      await link.request('register', { ident: id, server: '127.0.0.1:9', protocol: 1 });
      const result = resultOf(id);
      const s = summary(id, result);
      await link.request('update', { ident: id, summary: s, result });
      await link.request('complete', { ident: id, code: 0, result, summary: s });
    } finally {
      link.close();
    }
  }
  return {
    name: 'inproc',
    capabilities: { cores: 'unsupported', memory: 'unsupported', licenses: 'unsupported', remote: false },
    async launch(request: LaunchRequest): Promise<LaunchedChild> {
      let resolveStarted!: () => void;
      let resolveExited!: (exit: ChildExit) => void;
      const started = new Promise<void>((r) => (resolveStarted = r));
      const exited = new Promise<ChildExit>((r) => (resolveExited = r));
      queue.push(() => {
        resolveStarted();
        fakeChild(request).then(
          () => resolveExited({ code: 0, signal: null }),
          (error: Error) => resolveExited({ code: 1, signal: null, reason: error.message }),
        ).finally(() => {
          running--;
          next();
        });
      });
      next();
      return { id: request.id, started, exited };
    },
    async stop() {},
    async close() {},
  };
}
