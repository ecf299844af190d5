/**
 * `import(url)` of a module chosen at run time (a scheduler given as a module path or
 * package). In a child process the layer code runs from a vm.Script compiled with a
 * code cache (child-loader.ts), where Node 20 has no dynamic import: the loader, an
 * ordinary CommonJS module, lends its own `import()` under this symbol.
 */
const LENT = Symbol.for('gator.child.import');

export function importModule(url: string): Promise<Record<string, unknown>> {
  const lent = (globalThis as { [LENT]?: (url: string) => Promise<Record<string, unknown>> })[LENT];
  return lent ? lent(url) : (import(url) as Promise<Record<string, unknown>>);
}
