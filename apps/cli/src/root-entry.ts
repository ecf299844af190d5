/**
 * Entry of the root build (dist/root-bundle.cjs, run by dist/root.cjs, see
 * root-loader.ts): the `gator` command as cli.ts runs it, bundled with every
 * package it loads into one CommonJS file. Commands are still loaded on first use
 * (the bundler keeps each `import()` a lazily initialised module), and @gator/hub
 * stays a package of its own (it serves files from beside its code).
 */
import { isChildCommandLine } from './child-command-line.js';
import { exitWhenDone } from './exit-when-done.js';

let isRun: (() => boolean) | undefined;
/** Whether this process ran `gator run` (asked at exit): the loader lets only a run replace the build's code cache. */
export const ranRun = (): boolean => isRun?.() ?? false;

if (process.env.GATOR_ROOT_WARM_UP === '1') {
  // The build's code-cache warm-up: initialise what `gator run` loads, run nothing.
  void Promise.all([import('./main.js'), import('./commands/run.js'), import('./render/create.js'), import('@gator/tier'), import('@gator/scheduler-local'), import('@gator/db')]);
} else {
  const argv = process.argv.slice(2);
  const child = isChildCommandLine(argv);
  const running: Promise<number> = child
    ? import('./child-main.js').then((m) => m.childMain(argv))
    : import('./main.js').then((m) => {
        isRun = () => m.isRunCommand(argv);
        return m.main(argv);
      });
  exitWhenDone(running);
}
