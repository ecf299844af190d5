// Commands of a cluster engine, run for real: results never throw, failures are named,
// the limiter bounds concurrency, and retries stop at success, at a lasting failure, or at the limit.
import { describe, expect, it } from 'vitest';
import { CommandLimiter, commandRunFailure, runCommand, runWithRetries, type CommandResult } from './cluster-command.js';

describe('runCommand', () => {
  it('collects output and exit codes, and names a command that cannot run', async () => {
    const ok = await runCommand(process.execPath, ['-e', 'process.stdout.write("hi"); process.stderr.write("warn")']);
    expect(ok).toEqual({ code: 0, stdout: 'hi', stderr: 'warn' });
    const failed = await runCommand(process.execPath, ['-e', 'process.exit(3)']);
    expect(failed.code).toBe(3);
    expect(commandRunFailure('node', failed)).toBeUndefined();
    const missing = await runCommand('gator-no-such-command', []);
    expect(missing.code).toBeNull();
    expect(commandRunFailure('gator-no-such-command', missing)).toBe('gator-no-such-command not found on PATH');
    const slow = await runCommand(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { timeoutMs: 200 });
    expect(commandRunFailure('node', slow)).toBe('node timed out');
  });
});

describe('CommandLimiter', () => {
  it('runs at most `max` tasks at once', async () => {
    const limiter = new CommandLimiter(2);
    let running = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 6 }, () =>
        limiter.run(async () => {
          most = Math.max(most, ++running);
          await new Promise((resolve) => setTimeout(resolve, 5));
          running--;
        }),
      ),
    );
    expect(most).toBe(2);
  });
});

describe('runWithRetries', () => {
  const result = (code: number, stderr = ''): CommandResult => ({ code, stdout: '', stderr });

  it('retries a transient failure, and stops at success or at a lasting failure', async () => {
    const answers = [result(1, 'busy'), result(0)];
    const retried: string[] = [];
    const ok = await runWithRetries(async () => answers.shift()!, {
      attempts: 4,
      transient: (r) => r.stderr === 'busy',
      onRetry: (r) => retried.push(r.stderr),
    });
    expect(ok.code).toBe(0);
    expect(retried).toEqual(['busy']);
    let runs = 0;
    const lasting = await runWithRetries(async () => (runs++, result(2, 'denied')), { attempts: 4, transient: (r) => r.stderr === 'busy' });
    expect([lasting.code, runs]).toEqual([2, 1]);
  });

  it('gives up after `attempts`, with the last result', async () => {
    let runs = 0;
    const last = await runWithRetries(async () => result(1, `busy ${++runs}`), { attempts: 2, transient: () => true });
    expect([runs, last.stderr]).toEqual([2, 'busy 2']);
  });
});
