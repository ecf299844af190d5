/**
 * `import()` for the layer code of a child started from the startup snapshot
 * (child-snapshot.ts): a function compiled into a snapshot has none, a file loaded
 * after it starts has. Built to dist/child-import.cjs.
 */
export const importUrl = (url: string): Promise<unknown> => import(url);
