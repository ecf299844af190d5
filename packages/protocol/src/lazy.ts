/**
 * Schemas built on first use. Building every zod schema of this package at import was most of
 * what importing it cost a process (CPU and live heap), and a child layer uses a few of them.
 * An exported schema keeps its name and its use (`parse`, `safeParse`, `shape`, `extend`, …):
 * it is a stand-in that builds the schema the first time anything is read from it.
 */

/** Build once, on the first call. */
export function once<T>(build: () => T): () => T {
  let built: T | undefined;
  let done = false;
  return () => {
    if (!done) {
      built = build();
      done = true;
    }
    return built as T;
  };
}

/** A schema (or any object) built on first use; until then a stand-in that builds it when anything is read from it. */
export function lazySchema<T extends object>(build: () => T): T {
  const real = once(build);
  return new Proxy({} as T, {
    get: (_target, key) => Reflect.get(real(), key),
    has: (_target, key) => Reflect.has(real(), key),
    getPrototypeOf: () => Reflect.getPrototypeOf(real()),
  });
}

/** An object whose properties are built on first read, then kept. */
export function lazyProps<T extends Record<string, () => unknown>>(builders: T): { readonly [K in keyof T]: ReturnType<T[K]> } {
  const out: Record<string, unknown> = {};
  for (const [key, build] of Object.entries(builders)) {
    Object.defineProperty(out, key, {
      enumerable: true,
      configurable: true,
      get() {
        const value = build();
        Object.defineProperty(out, key, { value, enumerable: true });
        return value;
      },
    });
  }
  return out as { readonly [K in keyof T]: ReturnType<T[K]> };
}
